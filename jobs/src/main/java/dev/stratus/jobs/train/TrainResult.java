package dev.stratus.jobs.train;

import dev.stratus.kernels.sgd.ModelMetrics;
import java.io.Serializable;
import java.util.List;

/**
 * What a training job produced: where the model is, how good it is on the validation set, how it got there and how
 * fast. The validation set chose the model (early stopping keeps the best evaluation), so its figures are optimistic:
 * report a test set's, from {@code Evaluate}.
 *
 * @param modelPath the model object in the store ({@code TrainedModel} bytes)
 * @param validationMetrics the kept model on the validation set
 * @param curve validation loss over time
 * @param generations every worker generation, in the order they ended
 * @param shardRestarts every shard that died and came back from its snapshots, in order
 * @param resumedAtUpdates the model's clock (updates) in the snapshots this job resumed from, a dead driver's (for
 *     {@link Solver#LBFGS}, the passes it had made when it wrote its {@link QuasiNewtonPoint}); -1 when it started from
 *     scratch
 * @param solver how it was solved (never {@link Solver#AUTO}): with {@link Solver#LBFGS}, {@code updates} are passes
 *     over the training rows, and there are no step times
 * @param scaling the worker counts, shards and workers' memory the driver chose on its own as it trained, and why
 *     (none for what the spec set)
 */
public record TrainResult(
    String modelPath,
    ModelMetrics validationMetrics,
    List<CurvePoint> curve,
    StopReason stopReason,
    double updatesPerSecond,
    long updates,
    StepTimes stepTimes,
    double stallSeconds,
    List<GenerationRecord> generations,
    List<ShardRestart> shardRestarts,
    long resumedAtUpdates,
    Solver solver,
    List<ScalingDecision> scaling)
    implements Serializable {

  /** Whether this job continued a dead driver's training from its snapshots. */
  public boolean resumed() {
    return resumedAtUpdates >= 0;
  }

  /**
   * The worker count the driver kept, when it chose them: its last decision's, or, when that one started workers whose
   * trial the training's end cut short, the count before them; 0 when the count was set.
   */
  public int keptWorkers() {
    List<ScalingDecision> onWorkers =
        scaling.stream().filter(d -> d.resource() == ScalingDecision.Resource.WORKERS).toList();
    if (onWorkers.isEmpty()) {
      return 0;
    }
    ScalingDecision last = onWorkers.get(onWorkers.size() - 1);
    return last.to() > last.from() ? last.from() : last.to();
  }

  /**
   * The shards the driver last decided the rounds be over, when it changed them ({@link WorkerScaling}); 0 when it
   * did not.
   */
  public int keptShards() {
    return scaling.stream().filter(d -> d.resource() == ScalingDecision.Resource.SHARDS)
        .reduce((a, b) -> b).map(ScalingDecision::to).orElse(0);
  }

  /** Workers started in all, counting successors of dead and handed-over workers. */
  public int workerGenerations() {
    return generations.size();
  }

  /** Generations of {@code worker}, in order. */
  public List<GenerationRecord> generationsOf(int worker) {
    return generations.stream()
        .filter(g -> g.worker() == worker)
        .sorted(java.util.Comparator.comparingInt(GenerationRecord::generation))
        .toList();
  }
}
