package dev.stratus.runner.lambda;

import java.util.List;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;
import org.apache.beam.sdk.runners.PipelineRunnerRegistrar;

/** Makes {@code --runner=LambdaRunner} and its options known to Beam (listed in {@code META-INF/services}). */
public final class LambdaRunnerRegistrar {
  private LambdaRunnerRegistrar() {}

  public static final class Runner implements PipelineRunnerRegistrar {
    @Override
    public Iterable<Class<? extends PipelineRunner<?>>> getPipelineRunners() {
      return List.of(LambdaRunner.class);
    }
  }

  public static final class Options implements PipelineOptionsRegistrar {
    @Override
    public Iterable<Class<? extends PipelineOptions>> getPipelineOptions() {
      return List.of(LambdaRunnerOptions.class);
    }
  }
}
