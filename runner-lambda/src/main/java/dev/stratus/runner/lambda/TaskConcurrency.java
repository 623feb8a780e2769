package dev.stratus.runner.lambda;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import org.apache.beam.sdk.options.DefaultValueFactory;
import org.apache.beam.sdk.options.PipelineOptions;

/** The default of {@code --maxConcurrency}: how many task attempts are worth running at once on the Lambda service. */
public final class TaskConcurrency implements DefaultValueFactory<Integer> {
  /** Attempts at once against a Lambda service on another machine (AWS Lambda, say). */
  public static final int REMOTE = 8;

  @Override
  public Integer create(PipelineOptions options) {
    return runsOnThisMachine(options.as(LambdaRunnerOptions.class).getLambdaEndpoint())
        ? Runtime.getRuntime().availableProcessors()
        : REMOTE;
  }

  /** The embedded local service (no endpoint), or an endpoint whose host is a loopback address. */
  static boolean runsOnThisMachine(String endpoint) {
    String trimmed = endpoint == null ? "" : endpoint.trim();
    if (trimmed.isEmpty()) {
      return true;
    }
    if (trimmed.equals(LambdaRunnerOptions.AWS)) {
      return false;
    }
    try {
      String host = URI.create(trimmed).getHost();
      return host != null && InetAddress.getByName(host).isLoopbackAddress();
    } catch (IllegalArgumentException | UnknownHostException e) {
      return false; // the runner's connection to the endpoint reports what is wrong with it
    }
  }
}
