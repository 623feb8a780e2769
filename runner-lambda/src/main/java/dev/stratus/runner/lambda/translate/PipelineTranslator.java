package dev.stratus.runner.lambda.translate;

import dev.stratus.runner.lambda.graph.ExecutionGraph;
import dev.stratus.spi.TransformExecutor;
import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.Impulse;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.util.construction.PTransformTranslation;
import org.apache.beam.sdk.util.construction.SplittableParDo;

/**
 * Walks a pipeline (after {@link LambdaOverrides}) in topological order and builds its {@link ExecutionGraph}: one
 * translator per primitive transform, and a place for composite transforms the runner executes whole, by URN.
 */
public final class PipelineTranslator extends Pipeline.PipelineVisitor.Defaults {
  private static final Map<Class<?>, TransformTranslator<?>> PRIMITIVES =
      Map.of(
          Impulse.class, new ImpulseTranslator(),
          SplittableParDo.PrimitiveBoundedRead.class, new ReadTranslator(),
          ParDo.MultiOutput.class, new ParDoTranslator(),
          GroupByKey.class, new GroupByKeyTranslator(),
          Flatten.PCollections.class, new FlattenTranslator(),
          Window.Assign.class, new AssignWindowsTranslator(),
          View.CreatePCollectionView.class, new CreateViewTranslator());

  /**
   * Composites translated whole rather than through their expansion, by URN: the runner's own, and every
   * {@link TransformExecutor} on the class path (a library's transform that runs in the driver with Lambda workers,
   * such as the DSL's training), which the runner knows only by its URN.
   */
  private static final Map<String, CompositeTranslator<?>> COMPOSITES = composites();

  private static Map<String, CompositeTranslator<?>> composites() {
    Map<String, CompositeTranslator<?>> composites = new HashMap<>();
    for (TransformExecutor executor :
        ServiceLoader.load(TransformExecutor.class, PipelineTranslator.class.getClassLoader())) {
      composites.put(executor.urn(), new InDriverTranslator(executor));
    }
    composites.put(PTransformTranslation.COMBINE_PER_KEY_TRANSFORM_URN, new CombinePerKeyTranslator());
    return Map.copyOf(composites);
  }

  private final Pipeline pipeline;
  private final TranslationContext context;

  private PipelineTranslator(Pipeline pipeline, int shufflePartitions) {
    this.pipeline = pipeline;
    this.context = new TranslationContext(shufflePartitions);
  }

  /** @param shufflePartitions the hash partitions every GroupByKey and lifted Combine writes */
  public static ExecutionGraph translate(Pipeline pipeline, int shufflePartitions) {
    PipelineTranslator translator = new PipelineTranslator(pipeline, shufflePartitions);
    pipeline.traverseTopologically(translator);
    return translator.context.graph();
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
    PTransform<?, ?> transform = node.getTransform();
    if (transform == null) {
      return CompositeBehavior.ENTER_TRANSFORM;
    }
    String urn = PTransformTranslation.urnForTransformOrNull(transform);
    CompositeTranslator<?> translator = urn == null ? null : COMPOSITES.get(urn);
    if (translator == null) {
      return CompositeBehavior.ENTER_TRANSFORM;
    }
    AppliedPTransform applied = node.toAppliedPTransform(pipeline);
    return ((CompositeTranslator) translator).tryTranslate(applied, context)
        ? CompositeBehavior.DO_NOT_ENTER_TRANSFORM
        : CompositeBehavior.ENTER_TRANSFORM;
  }

  @Override
  public void visitPrimitiveTransform(TransformHierarchy.Node node) {
    TransformTranslator<?> translator = PRIMITIVES.get(node.getTransform().getClass());
    if (translator == null) {
      throw new UnsupportedOperationException(
          "LambdaRunner cannot run " + node.getFullName() + ": primitive "
              + node.getTransform().getClass().getName() + " ("
              + PTransformTranslation.urnForTransformOrNull(node.getTransform()) + ")");
    }
    apply(translator, node);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void apply(TransformTranslator<?> translator, TransformHierarchy.Node node) {
    AppliedPTransform applied = node.toAppliedPTransform(pipeline);
    ((TransformTranslator) translator).translate(applied, context);
  }
}
