package dev.stratus.dsl;

import java.util.Map;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.util.construction.PTransformTranslation.TransformPayloadTranslator;
import org.apache.beam.sdk.util.construction.SdkComponents;
import org.apache.beam.sdk.util.construction.TransformPayloadTranslatorRegistrar;

/**
 * Gives the DSL's composite transforms their URNs, so a runner recognises them in the pipeline graph and can run them
 * its own way. Found by Beam through {@code META-INF/services}.
 */
public final class TranslatorRegistrar implements TransformPayloadTranslatorRegistrar {
  @Override
  @SuppressWarnings("rawtypes")
  public Map<? extends Class<? extends PTransform>, ? extends TransformPayloadTranslator>
      getTransformPayloadTranslators() {
    return Map.of(
        LogisticRegression.class, new UrnOnly<LogisticRegression>(SgdTraining.URN),
        LinearSvm.class, new UrnOnly<LinearSvm>(SgdTraining.URN),
        MultinomialLogisticRegression.class, new UrnOnly<MultinomialLogisticRegression>(SgdTraining.URN),
        MatrixFactorization.class, new UrnOnly<MatrixFactorization>(SgdTraining.URN),
        GridSearch.class, new UrnOnly<GridSearch>(HyperparameterSearch.URN),
        RandomSearch.class, new UrnOnly<RandomSearch>(HyperparameterSearch.URN));
  }

  /** A translator whose payload is empty: the runner reads the options from the transform object itself. */
  private static final class UrnOnly<T extends PTransform<?, ?>> implements TransformPayloadTranslator<T> {
    private final String urn;

    UrnOnly(String urn) {
      this.urn = urn;
    }

    @Override
    public String getUrn() {
      return urn;
    }

    @Override
    public RunnerApi.FunctionSpec translate(AppliedPTransform<?, ?, T> application, SdkComponents components) {
      return RunnerApi.FunctionSpec.newBuilder().setUrn(urn).build();
    }
  }
}
