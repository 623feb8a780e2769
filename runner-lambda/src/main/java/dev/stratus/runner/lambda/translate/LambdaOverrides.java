package dev.stratus.runner.lambda.translate;

import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.runners.PTransformOverride;
import org.apache.beam.sdk.util.construction.PTransformMatchers;
import org.apache.beam.sdk.util.construction.PTransformTranslation;
import org.apache.beam.sdk.util.construction.SplittableParDo;
import org.apache.beam.sdk.util.construction.SplittableParDoNaiveBounded;

/**
 * Rewrites a pipeline into the primitives the translators know: bounded reads back to primitive Reads (the SDK
 * expands them into splittable DoFns), and every other splittable DoFn into a plain DoFn that processes each
 * restriction to its end, which is all a batch runner needs.
 */
public final class LambdaOverrides {
  private LambdaOverrides() {}

  public static void apply(Pipeline pipeline) {
    SplittableParDo.convertReadBasedSplittableDoFnsToPrimitiveReads(pipeline);
    pipeline.replaceAll(
        List.of(
            PTransformOverride.of(PTransformMatchers.splittableParDo(), new SplittableParDo.OverrideFactory<>()),
            PTransformOverride.of(
                PTransformMatchers.urnEqualTo(PTransformTranslation.SPLITTABLE_PROCESS_KEYED_URN),
                new SplittableParDoNaiveBounded.OverrideFactory<>())));
  }
}
