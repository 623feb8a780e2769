package dev.stratus.runner.lambda.translate;

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
}
