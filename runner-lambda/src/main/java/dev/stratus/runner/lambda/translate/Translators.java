package dev.stratus.runner.lambda.translate;

import dev.stratus.runner.lambda.LambdaRunnerOptions;
import java.util.Map;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.collect.Iterables;

/** Small accessors the translators share. */
final class Translators {
  private Translators() {}

  static PCollection<?> mainInput(AppliedPTransform<?, ?, ?> transform) {
    Map<TupleTag<?>, PCollection<?>> main = transform.getMainInputs();
    return Iterables.getOnlyElement(main.values());
  }

  static PCollection<?> onlyOutput(AppliedPTransform<?, ?, ?> transform) {
    PValue output = Iterables.getOnlyElement(transform.getOutputs().values());
    return (PCollection<?>) output;
  }

  static LambdaRunnerOptions options(TranslationContext context) {
    return context.options().as(LambdaRunnerOptions.class);
  }

  /** The hash partitions of a shuffle: the options' number, or as many as reduce tasks sized by the data can use. */
  static int shufflePartitions(TranslationContext context) {
    int fixed = options(context).getShufflePartitions();
    return fixed > 0 ? fixed : LambdaRunnerOptions.DATA_SIZED_SHUFFLE_PARTITIONS;
  }
}
