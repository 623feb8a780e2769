package dev.stratus.runner.lambda.translate;

import dev.stratus.runner.lambda.graph.Stage;
import dev.stratus.runner.lambda.graph.StageInput;
import dev.stratus.runner.lambda.message.Root;
import org.apache.beam.sdk.util.construction.SplittableParDo;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.values.PCollection;

/** A bounded Read (made primitive again by {@link LambdaOverrides}): a stage with one task per split of the source (split by the scheduler). */
final class ReadTranslator implements TransformTranslator<SplittableParDo.PrimitiveBoundedRead<?>> {
  @Override
  public void translate(AppliedPTransform<?, ?, SplittableParDo.PrimitiveBoundedRead<?>> transform, TranslationContext context) {
    PCollection<?> output = Translators.onlyOutput(transform);
    Stage stage =
        context.newStage(
            transform.getFullName(),
            new Root.Source(transform.getFullName(), context.id(output)),
            new StageInput.Source(transform.getFullName(), transform.getTransform().getSource()));
    context.produces(output, stage);
  }
}
