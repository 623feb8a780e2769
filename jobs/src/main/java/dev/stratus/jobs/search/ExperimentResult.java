package dev.stratus.jobs.search;

import dev.stratus.jobs.train.CurvePoint;
import dev.stratus.jobs.train.StopReason;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * How one experiment of a search went.
 *
 * @param stopReason why it stopped; null when it failed ({@code error} says why)
 * @param bestValidationLoss the lowest validation logloss it reached (its kept model's); NaN without any evaluation
 * @param finalValidationLoss its last evaluation's
 * @param seconds from its start to its end
 * @param requests worker invocations (generations) it started
 * @param gbSeconds its workers' compute: their running time times their memory
 * @param cost its Lambda compute and requests plus its share of the shards' VM time, in dollars
 * @param modelPath where its kept model is; null when it failed or never ran
 * @param resumed how a resumed search got it: {@link #RECORDED} (finished in an earlier run, not rerun), {@link
 *     #RESUMED_FROM_SNAPSHOTS} (running when an earlier run's driver died, continued from its snapshots), {@link
 *     #RESTARTED_FROM_SCRATCH} (running then, but it left no snapshot to continue from); null when this run was its
 *     first
 */
public record ExperimentResult(
    int id,
    Map<String, Number> parameters,
    StopReason stopReason,
    double bestValidationLoss,
    double finalValidationLoss,
    List<CurvePoint> curve,
    double seconds,
    long updates,
    long requests,
    double gbSeconds,
    double cost,
    String modelPath,
    String error,
    String resumed)
    implements Serializable {
  public static final String RECORDED = "recorded";
  public static final String RESUMED_FROM_SNAPSHOTS = "resumed from its snapshots";
  public static final String RESTARTED_FROM_SCRATCH = "restarted from scratch";

  /** The state a person reads: the stop reason in lower case, or "failed". */
  public String state() {
    return stopReason == null ? "failed" : stopReason.name().toLowerCase(java.util.Locale.ROOT);
  }

  ExperimentResult withCost(double newCost) {
    return new ExperimentResult(id, parameters, stopReason, bestValidationLoss, finalValidationLoss, curve, seconds,
        updates, requests, gbSeconds, newCost, modelPath, error, resumed);
  }

  ExperimentResult resumedAs(String how) {
    return new ExperimentResult(id, parameters, stopReason, bestValidationLoss, finalValidationLoss, curve, seconds,
        updates, requests, gbSeconds, cost, modelPath, error, how);
  }
}
