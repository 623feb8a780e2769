package dev.stratus.runner.lambda.translate;

import dev.stratus.runner.lambda.graph.Stage;
import dev.stratus.runner.lambda.graph.StageInput;
import dev.stratus.runner.lambda.message.Root;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.Impulse;
import org.apache.beam.sdk.values.PCollection;

/** Impulse: a one-task stage emitting a single empty byte array. */
final class ImpulseTranslator implements TransformTranslator<Impulse> {
  @Override
  public void translate(AppliedPTransform<?, ?, Impulse> transform, TranslationContext context) {
    PCollection<?> output = Translators.onlyOutput(transform);
    Stage stage =
        context.newStage(transform.getFullName(), new Root.Impulse(context.id(output)), new StageInput.Impulse());
    context.produces(output, stage);
  }
}
