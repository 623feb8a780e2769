package dev.stratus.runner.lambda.translate;

import dev.stratus.runner.lambda.graph.Stage;
import dev.stratus.runner.lambda.message.Op;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.PCollection;

/** Window.Assign, fused into the stage producing its input. */
final class AssignWindowsTranslator implements TransformTranslator<Window.Assign<?>> {
  @Override
  public void translate(AppliedPTransform<?, ?, Window.Assign<?>> transform, TranslationContext context) {
    PCollection<?> input = Translators.mainInput(transform);
    PCollection<?> output = Translators.onlyOutput(transform);
    WindowFn<?, ?> windowFn = transform.getTransform().getWindowFn();
    Stage stage = context.stageConsuming(input);
    stage.add(
        new Op.AssignWindows(
            transform.getFullName(),
            context.id(input),
            context.id(output),
            windowFn == null ? null : TranslationContext.serialize(windowFn, transform.getFullName())));
    context.produces(output, stage);
  }
}
