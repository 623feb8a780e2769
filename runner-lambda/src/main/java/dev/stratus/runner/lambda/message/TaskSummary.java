package dev.stratus.runner.lambda.message;

import java.util.ArrayList;
import java.util.LinkedHashMap;

/**
 * A task attempt's answer to the driver: where it wrote, what it counted, or why it failed.
 *
 * @param materialized PCollection id to the path of this attempt's partition (absent when empty)
 * @param shuffled shuffle id to the parts this attempt wrote to it
 * @param runMillis the attempt's time in the worker
 * @param storeMillis the part of it spent waiting on the object store (calls and reading their streams)
 * @param metrics the attempt's metrics, as {@link TaskMetrics} encodes them
 * @param error why a failed attempt failed (null when it succeeded)
 */
public record TaskSummary(
    boolean succeeded,
    LinkedHashMap<String, String> materialized,
    LinkedHashMap<String, ArrayList<ShufflePart>> shuffled,
    long elementsRead,
    long elementsWritten,
    long runMillis,
    long storeMillis,
    ArrayList<byte[]> metrics,
    WorkerError error) {

  /** The failure in one line, for logs and messages. */
  public String describeError() {
    return error == null ? "no error" : error.className() + ": " + error.message();
  }
}
