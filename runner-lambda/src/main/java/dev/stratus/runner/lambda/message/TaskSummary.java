package dev.stratus.runner.lambda.message;

import java.util.LinkedHashMap;

/**
 * A task attempt's answer to the driver: where it wrote, what it counted, or why it failed.
 *
 * @param materialized PCollection id to the path of this attempt's partition (absent when empty)
 * @param shuffled shuffle id to (partition number to path), only non-empty partitions
 * @param metrics Java-serialized {@code MetricsContainerStepMap} of the attempt
 * @param error Java-serialized exception of a failed attempt, or null when it could not be serialized
 */
public record TaskSummary(
    boolean succeeded,
    LinkedHashMap<String, String> materialized,
    LinkedHashMap<String, LinkedHashMap<Integer, String>> shuffled,
    long elementsRead,
    long elementsWritten,
    long runMillis,
    byte[] metrics,
    String errorType,
    String errorMessage,
    byte[] error) {}
