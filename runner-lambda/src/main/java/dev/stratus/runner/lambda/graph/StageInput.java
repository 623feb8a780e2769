package dev.stratus.runner.lambda.graph;

import org.apache.beam.sdk.io.BoundedSource;

/** What a stage's tasks partition: the scheduler turns it into one task per partition. */
public sealed interface StageInput {
  /** A single task. */
  record Impulse() implements StageInput {}

  /** One task per split of the source; {@code stepName} is the Read's, for the metrics splitting reports. */
  record Source(String stepName, BoundedSource<?> source) implements StageInput {}

  /** One task per committed partition of a PCollection (all its flattened inputs' partitions for a Flatten). */
  record Files(String pcollection) implements StageInput {}

  /** One task per non-empty hash partition of a shuffle. */
  record Shuffle(String shuffleId) implements StageInput {}
}
