package dev.stratus.runner.lambda.translate;

import dev.stratus.runner.lambda.graph.ExecutionGraph;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
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
   * Composites translated whole rather than through their expansion, by URN. The DSL's LogisticRegression
   * ({@code stratus:transform:logistic_regression:v1}) belongs here once training runs on Lambda workers; until then it
   * is absent and runs its default expansion like any composite.
   */
  private static final Map<String, CompositeTranslator<?>> COMPOSITES =
      Map.of(PTransformTranslation.COMBINE_PER_KEY_TRANSFORM_URN, new CombinePerKeyTranslator());

  private final Pipeline pipeline;
  private final TranslationContext context;

  private PipelineTranslator(Pipeline pipeline, PipelineOptions options) {
    this.pipeline = pipeline;
    this.context = new TranslationContext(options);
  }

  public static ExecutionGraph translate(Pipeline pipeline, PipelineOptions options) {
    PipelineTranslator translator = new PipelineTranslator(pipeline, options);
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
