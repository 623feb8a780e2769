package dev.stratus.runner.lambda.graph;

import dev.stratus.spi.TransformExecutor;
import java.util.List;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;

/** What a stage's tasks partition: the scheduler turns it into one task per partition. */
public sealed interface StageInput {
  /** A single task. */
  record Impulse() implements StageInput {}

  /** One task per split of the source; {@code stepName} is the Read's, for the metrics splitting reports. */
  record Source(String stepName, BoundedSource<?> source) implements StageInput {}

  /** One task per committed partition of a PCollection (all its flattened inputs' partitions for a Flatten). */
  record Files(String pcollection) implements StageInput {}

  /**
   * No task: the driver runs {@code executor} over the whole of the composite {@code transform}'s inputs (every one
   * of them written to the store by its producer) and writes its elements as {@code output}. {@code inputIds} are
   * the ids of {@code inputs}, in the same order.
   */
  record InDriver(
      PTransform<?, ?> transform,
      TransformExecutor executor,
      PCollection<?> mainInput,
      List<PCollection<?>> inputs,
      List<String> inputIds,
      String output)
      implements StageInput {}

  /** One task per non-empty hash partition of a shuffle. */
  record Shuffle(String shuffleId) implements StageInput {}
}
