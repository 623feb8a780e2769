package dev.stratus.runner.lambda;

import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.joda.time.Duration;

/** The result of a finished run: {@link LambdaRunner#run} returns only when every stage is done. */
final class LambdaPipelineResult implements PipelineResult {
  private final MetricResults metrics;

  LambdaPipelineResult(MetricResults metrics) {
    this.metrics = metrics;
  }

  @Override
  public State getState() {
    return State.DONE;
  }

  @Override
  public State cancel() {
    return State.DONE;
  }

  @Override
  public State waitUntilFinish(Duration duration) {
    return State.DONE;
  }

  @Override
  public State waitUntilFinish() {
    return State.DONE;
  }

  @Override
  public MetricResults metrics() {
    return metrics;
  }
}
