package dev.stratus.runner.lambda.message;

import java.util.LinkedHashMap;

/** One fused operation of a stage, consuming the elements of one PCollection. */
public sealed interface Op {
  String input();

  /**
   * A DoFn. {@code spec} is the Java-serialized {@link ParDoSpec} (DoFn, tags, coders, windowing, views); {@code
   * outputs} maps output tag ids to PCollection ids; {@code sideInputs} maps view tag ids to the PCollections that
   * back them.
   */
  record ParDo(
      String stepName,
      String input,
      byte[] spec,
      LinkedHashMap<String, String> outputs,
      LinkedHashMap<String, String> sideInputs)
      implements Op {}

  /** Window.Assign; {@code windowFn} is Java-serialized, or null when the transform only changes triggering. */
  record AssignWindows(String stepName, String input, String output, byte[] windowFn) implements Op {}

  /** Writes {@code input} to the store for other stages (flattens, side inputs, fresh stages). */
  record Materialize(String input) implements Op {}

  /** Writes {@code input} (key-value elements) as {@code partitions} hash partitions of shuffle {@code shuffleId}. */
  record ShuffleWrite(String input, String shuffleId, int partitions) implements Op {}

  /**
   * The map side of a lifted Combine.PerKey: combines each key's values per window into an accumulator inside the
   * task and emits the accumulators into {@code output} when the task's input is done. {@code spec} is the
   * Java-serialized {@link CombineSpec}.
   */
  record PartialCombine(String stepName, String input, String output, byte[] spec) implements Op {}

  /** The reduce side of a lifted Combine.PerKey: merges a key's grouped accumulators and extracts the output. */
  record MergeAccumulators(String stepName, String input, String output, byte[] spec) implements Op {}
}
