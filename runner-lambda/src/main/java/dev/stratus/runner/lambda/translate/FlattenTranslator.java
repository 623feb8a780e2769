package dev.stratus.runner.lambda.translate;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PValue;

/**
 * Flatten needs no task: its inputs are written to the store and its output's partitions are theirs, each decoded
 * with its own coder (a Flatten's inputs may differ in coder). Consumers read them in a stage of their own.
 */
final class FlattenTranslator implements TransformTranslator<Flatten.PCollections<?>> {
  @Override
  public void translate(AppliedPTransform<?, ?, Flatten.PCollections<?>> transform, TranslationContext context) {
    List<String> inputs = new ArrayList<>();
    List<PCollection<?>> inputCollections = new ArrayList<>();
    for (PValue value : transform.getInputs().values()) {
      PCollection<?> input = (PCollection<?>) value;
      inputs.add(context.id(input));
      inputCollections.add(input);
    }
    context.graph().addFlatten(context.id(Translators.onlyOutput(transform)), inputs);
    for (PCollection<?> input : inputCollections) {
      context.materialize(input);
    }
  }
}
