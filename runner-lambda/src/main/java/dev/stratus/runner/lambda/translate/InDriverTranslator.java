package dev.stratus.runner.lambda.translate;

import dev.stratus.runner.lambda.graph.Stage;
import dev.stratus.runner.lambda.graph.StageInput;
import dev.stratus.spi.TransformExecutor;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;

/**
 * A composite that a {@link TransformExecutor} runs whole in the driver: its inputs are written to the store by their
 * producers, the driver runs the executor once they are all done, and its output goes to the store for its consumers.
 */
final class InDriverTranslator implements CompositeTranslator<PTransform<?, ?>> {
  private final TransformExecutor executor;

  InDriverTranslator(TransformExecutor executor) {
    this.executor = executor;
  }

  @Override
  public boolean tryTranslate(AppliedPTransform<?, ?, PTransform<?, ?>> transform, TranslationContext context) {
    PCollection<?> output = Translators.onlyOutput(transform);
    List<PCollection<?>> inputs = new ArrayList<>(transform.getInputs().values());
    inputs.forEach(context::materialize);
    Stage stage =
        context.newStage(
            transform.getFullName(),
            null,
            new StageInput.InDriver(
                transform.getTransform(),
                executor,
                Translators.mainInput(transform),
                inputs,
                inputs.stream().map(context::id).toList(),
                context.id(output)));
    for (PCollection<?> input : inputs) {
      context.addReadCoders(stage, input);
      context.dependOnProducers(stage, input);
    }
    context.producesInDriver(output, stage);
    return true;
  }
}
