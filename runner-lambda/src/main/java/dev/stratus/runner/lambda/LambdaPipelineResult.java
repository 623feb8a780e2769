package dev.stratus.runner.lambda;

import dev.stratus.runner.lambda.scheduler.StageReport;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.joda.time.Duration;

/**
 * The result of a finished run: {@link LambdaRunner#run} returns only when every stage is done. Beside Beam's metrics
 * it tells where the time went, stage by stage.
 */
public final class LambdaPipelineResult implements PipelineResult {
  private final MetricResults metrics;
  private final List<StageReport> stages;

  LambdaPipelineResult(MetricResults metrics, List<StageReport> stages) {
    this.metrics = metrics;
    this.stages = List.copyOf(stages);
  }

  /** Every stage's tasks and times (in workers, on store I/O), in the order the stages finished. */
  public List<StageReport> stages() {
    return stages;
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
