package dev.stratus.runner.lambda.message;

/** Where a stage's elements come from; the task descriptor names the actual partition. */
public sealed interface Root {
  /** The PCollection the root emits into. */
  String output();

  /** One empty byte array in the global window: the start of every pipeline. */
  record Impulse(String output) implements Root {}

  /** One split of a bounded source (the split is in the task descriptor). */
  record Source(String stepName, String output) implements Root {}

  /** Materialized partitions of {@code output}, read as they were written. */
  record Files(String output) implements Root {}

  /**
   * One hash partition of a shuffle: its files hold {@code input}'s key-value elements, grouped here by key and then
   * by window with the input's windowing strategy (Java-serialized).
   */
  record GroupByKey(String stepName, String input, String output, byte[] windowingStrategy) implements Root {}
}
