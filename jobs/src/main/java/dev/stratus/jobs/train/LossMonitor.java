package dev.stratus.jobs.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Watches the validation loss as training goes and decides when to stop: on convergence (less than {@code epsilon}
 * improvement of the best loss over the last {@code window} evaluations; never when {@code epsilon} is 0), on divergence (a non-finite loss, or a
 * loss that rose at each of the last {@code window} evaluations to well above the best), or on the time budget.
 */
public final class LossMonitor {
  /** A rising loss counts as divergence only once it is this far above the best seen. */
  private static final double DIVERGENCE_FACTOR = 1.5;

  private double epsilon;
  private final int window;
  private final double timeoutSeconds;
  private final List<CurvePoint> curve = new ArrayList<>();
  /** The points convergence and divergence are judged on: those after the first update (workers may start slowly). */
  private final List<CurvePoint> judged = new ArrayList<>();

  public LossMonitor(double epsilon, int window, double timeoutSeconds) {
    this.epsilon = epsilon;
    this.window = window;
    this.timeoutSeconds = timeoutSeconds;
  }

  /** Records an evaluation; returns why to stop now, or null to go on. */
  public StopReason observe(CurvePoint point) {
    curve.add(point);
    if (!Double.isFinite(point.validationLoss())) {
      return StopReason.DIVERGED;
    }
    if (point.seconds() >= timeoutSeconds) {
      return StopReason.TIMEOUT;
    }
    if (point.updates() == 0) {
      return null;
    }
    judged.add(point);
    int n = judged.size();
    if (n <= window) {
      return null;
    }
    double bestBefore = Double.POSITIVE_INFINITY;
    for (int i = 0; i < n - window; i++) {
      bestBefore = Math.min(bestBefore, judged.get(i).validationLoss());
    }
    boolean rising = true;
    double bestRecent = Double.POSITIVE_INFINITY;
    for (int i = n - window; i < n; i++) {
      double loss = judged.get(i).validationLoss();
      bestRecent = Math.min(bestRecent, loss);
      rising &= loss > judged.get(i - 1).validationLoss();
    }
    if (rising && point.validationLoss() > DIVERGENCE_FACTOR * bestBefore) {
      return StopReason.DIVERGED;
    }
    // epsilon 0 asks for no convergence stop at all: a window worse than the best before it is noise, not a plateau
    if (epsilon > 0 && bestBefore - bestRecent < epsilon) {
      return StopReason.CONVERGED;
    }
    return null;
  }

  /** Judges convergence by {@code minImprovement} from now on (0: never). */
  public void epsilon(double minImprovement) {
    this.epsilon = minImprovement;
  }

  /**
   * Judges only the evaluations from now on: a shard came back from an older snapshot, so the model went back, and
   * the best loss before is no measure of the progress after (comparing with it would take the climb back for a
   * plateau and stop the training as converged).
   */
  public void restartWindow() {
    judged.clear();
  }

  public List<CurvePoint> curve() {
    return List.copyOf(curve);
  }
}
