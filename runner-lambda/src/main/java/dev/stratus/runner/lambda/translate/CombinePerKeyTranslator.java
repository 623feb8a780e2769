package dev.stratus.runner.lambda.translate;

import dev.stratus.runner.lambda.graph.Stage;
import dev.stratus.runner.lambda.graph.StageInput;
import dev.stratus.runner.lambda.message.CombineSpec;
import dev.stratus.runner.lambda.message.Op;
import dev.stratus.runner.lambda.message.Root;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.CombineFnBase.GlobalCombineFn;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * Combine.PerKey with combiner lifting: each map task combines its values per key and window into accumulators
 * before the shuffle, and each reduce task merges a key's accumulators and extracts the output. Lifting is exact
 * when a window's values all fire once, together: non-merging windows under the default trigger, and a plain
 * CombineFn (no side inputs). Anything else runs the expansion: GroupByKey, then the combine of grouped values.
 */
final class CombinePerKeyTranslator implements CompositeTranslator<Combine.PerKey<?, ?, ?>> {
  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public boolean tryTranslate(AppliedPTransform<?, ?, Combine.PerKey<?, ?, ?>> transform, TranslationContext context) {
    Combine.PerKey<?, ?, ?> combine = transform.getTransform();
    PCollection<?> input = Translators.mainInput(transform);
    WindowingStrategy<?, ?> windowing = input.getWindowingStrategy();
    GlobalCombineFn<?, ?, ?> globalFn = combine.getFn();
    if (!(globalFn instanceof Combine.CombineFn<?, ?, ?> fn)
        || !combine.getSideInputs().isEmpty()
        || !windowing.getWindowFn().isNonMerging()
        || !(windowing.getTrigger() instanceof DefaultTrigger)) {
      return false;
    }
    KvCoder<?, ?> inputCoder = (KvCoder<?, ?>) input.getCoder();
    Coder<?> accumulatorCoder;
    try {
      accumulatorCoder =
          ((Combine.CombineFn) fn)
              .getAccumulatorCoder(transform.getPipeline().getCoderRegistry(), inputCoder.getValueCoder());
    } catch (CannotProvideCoderException e) {
      return false;
    }
    PCollection<?> output = Translators.onlyOutput(transform);
    String name = transform.getFullName();
    byte[] spec =
        TranslationContext.serialize(
            new CombineSpec(fn, inputCoder.getKeyCoder(), windowing.getTimestampCombiner()), name);
    byte[] partialCoder =
        context.coder(KvCoder.of(inputCoder.getKeyCoder(), accumulatorCoder), windowing, name + " partials");
    String partials = context.newIntermediateId("partials");
    String grouped = context.newIntermediateId("grouped-partials");
    String shuffleId = context.newShuffleId();
    int partitions = context.shufflePartitions();

    Stage mapSide = context.stageConsuming(input);
    mapSide.add(new Op.PartialCombine(name + "/PartialCombine", context.id(input), partials, spec));
    mapSide.add(new Op.ShuffleWrite(partials, shuffleId, partitions));
    mapSide.addCoder(partials, partialCoder);

    Stage reduceSide =
        context.newStage(
            name,
            new Root.GroupByKey(name, partials, grouped, TranslationContext.serialize(windowing, name)),
            new StageInput.Shuffle(shuffleId));
    reduceSide.dependOn(mapSide);
    reduceSide.addCoder(partials, partialCoder);
    reduceSide.add(new Op.MergeAccumulators(name + "/MergeAccumulators", grouped, context.id(output), spec));
    context.produces(output, reduceSide);
    return true;
  }
}
