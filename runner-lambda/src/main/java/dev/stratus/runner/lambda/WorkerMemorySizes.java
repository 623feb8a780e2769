package dev.stratus.runner.lambda;

import java.util.List;
import org.apache.beam.sdk.options.DefaultValueFactory;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The default of {@code --workerMemorySizesMb}: on the embedded local service, which registers the variant functions
 * itself, a few larger sizes; for any endpoint none, since there each variant must be deployed first.
 */
public final class WorkerMemorySizes implements DefaultValueFactory<List<Integer>> {
  /** The sizes the embedded local service offers besides {@code --workerMemoryMb}. */
  static final List<Integer> EMBEDDED = List.of(2048, 3008);

  @Override
  public List<Integer> create(PipelineOptions options) {
    String endpoint = options.as(LambdaRunnerOptions.class).getLambdaEndpoint();
    return endpoint == null || endpoint.isBlank() ? EMBEDDED : List.of();
  }
}
