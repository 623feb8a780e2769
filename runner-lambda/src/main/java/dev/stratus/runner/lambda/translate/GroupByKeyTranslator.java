package dev.stratus.runner.lambda.translate;

import dev.stratus.runner.lambda.graph.Stage;
import dev.stratus.runner.lambda.graph.StageInput;
import dev.stratus.runner.lambda.message.Op;
import dev.stratus.runner.lambda.message.Root;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.values.PCollection;

/**
 * GroupByKey as a shuffle through the store: the stage producing the input writes hash partitions by key, and a new
 * stage, one task per partition, groups each partition by key and window.
 */
final class GroupByKeyTranslator implements TransformTranslator<GroupByKey<?, ?>> {
  @Override
  public void translate(AppliedPTransform<?, ?, GroupByKey<?, ?>> transform, TranslationContext context) {
    PCollection<?> input = Translators.mainInput(transform);
    PCollection<?> output = Translators.onlyOutput(transform);
    String inputId = context.id(input);
    String shuffleId = context.newShuffleId();
    int partitions = context.shufflePartitions();

    Stage mapSide = context.stageConsuming(input);
    mapSide.add(new Op.ShuffleWrite(inputId, shuffleId, partitions));
    mapSide.addCoder(inputId, context.coder(input));

    Stage reduceSide =
        context.newStage(
            transform.getFullName(),
            new Root.GroupByKey(
                transform.getFullName(),
                inputId,
                context.id(output),
                TranslationContext.serialize(input.getWindowingStrategy(), transform.getFullName())),
            new StageInput.Shuffle(shuffleId));
    reduceSide.dependOn(mapSide);
    reduceSide.addCoder(inputId, context.coder(input));
    context.produces(output, reduceSide);
  }
}
