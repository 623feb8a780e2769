package dev.stratus.runner.lambda.translate;

import dev.stratus.runner.lambda.graph.Stage;
import dev.stratus.runner.lambda.message.Op;
import dev.stratus.runner.lambda.message.ParDoSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.reflect.DoFnSignature;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.util.construction.ParDoTranslation;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;

/**
 * ParDo: fused into the stage producing its main input, unless it reads side inputs; then it starts a stage of its
 * own reading its main input from the store, which also guarantees its side inputs were computed by earlier stages.
 */
final class ParDoTranslator implements TransformTranslator<ParDo.MultiOutput<?, ?>> {
  @Override
  public void translate(AppliedPTransform<?, ?, ParDo.MultiOutput<?, ?>> transform, TranslationContext context) {
    ParDo.MultiOutput<?, ?> parDo = transform.getTransform();
    DoFn<?, ?> fn = parDo.getFn();
    DoFnSignature signature = DoFnSignatures.getSignature(fn.getClass());
    if (signature.usesState() || signature.usesTimers()) {
      throw new UnsupportedOperationException(
          transform.getFullName() + ": LambdaRunner runs batch pipelines without state or timers in DoFns");
    }
    PCollection<?> input = Translators.mainInput(transform);
    Map<String, PCollectionView<?>> views = parDo.getSideInputs();
    Stage stage =
        views.isEmpty()
            ? context.stageConsuming(input)
            : context.newStageReading(input, transform.getFullName());

    LinkedHashMap<String, String> sideInputs = new LinkedHashMap<>();
    for (PCollectionView<?> view : views.values()) {
      PCollection<?> backing = view.getPCollection();
      context.materialize(backing);
      context.addReadCoders(stage, backing);
      context.dependOnProducers(stage, backing);
      stage.addSideInput(context.id(backing));
      sideInputs.put(view.getTagInternal().getId(), context.id(backing));
    }

    LinkedHashMap<String, String> outputs = new LinkedHashMap<>();
    Map<TupleTag<?>, Coder<?>> outputCoders = new HashMap<>();
    for (Map.Entry<TupleTag<?>, PCollection<?>> output : transform.getOutputs().entrySet()) {
      outputs.put(output.getKey().getId(), context.id(output.getValue()));
      outputCoders.put(output.getKey(), output.getValue().getCoder());
    }
    ParDoSpec spec =
        new ParDoSpec(
            fn,
            parDo.getMainOutputTag(),
            new ArrayList<>(parDo.getAdditionalOutputTags().getAll()),
            outputCoders,
            input.getCoder(),
            input.getWindowingStrategy(),
            new ArrayList<>(views.values()),
            ParDoTranslation.getSchemaInformation(transform),
            new HashMap<>(ParDoTranslation.getSideInputMapping(transform)));
    stage.add(
        new Op.ParDo(
            transform.getFullName(), context.id(input), TranslationContext.serialize(spec, transform.getFullName()), outputs, sideInputs));
    for (PCollection<?> output : transform.getOutputs().values()) {
      context.produces(output, stage);
    }
  }
}
