package dev.stratus.jobs.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Watches the validation loss as training goes and decides when to stop: on convergence (less than {@code epsilon}
 * improvement of the best loss over the last {@code window} evaluations, and over at least {@code minUpdates} updates;
 * never when {@code epsilon} is 0), on divergence (a non-finite loss, or a loss that rose at each of the last
 * {@code window} evaluations to well above the best), or on the time budget.
 *
 * <p>The updates bound is what keeps a starved training from passing for a converged one: evaluations are paced by the
 * clock, so workers that a busy machine slows to a few updates a second would show a flat loss over any few
 * evaluations. A training is judged over at least a pass over its data ({@code minUpdates} = rows / minibatch).
 */
public final class LossMonitor {
  /** A rising loss counts as divergence only once it is this far above the best seen. */
  private static final double DIVERGENCE_FACTOR = 1.5;

  private double epsilon;
  private final int window;
  private final long minUpdates;
  private final double timeoutSeconds;
  private final List<CurvePoint> curve = new ArrayList<>();
  /** The points convergence and divergence are judged on: those after the first update (workers may start slowly). */
  private final List<CurvePoint> judged = new ArrayList<>();

  public LossMonitor(double epsilon, int window, long minUpdates, double timeoutSeconds) {
    this.epsilon = epsilon;
    this.window = window;
    this.minUpdates = minUpdates;
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
    double bestBefore = bestLoss(0, n - window);
    boolean rising = true;
    for (int i = n - window; i < n; i++) {
      rising &= judged.get(i).validationLoss() > judged.get(i - 1).validationLoss();
    }
    if (rising && point.validationLoss() > DIVERGENCE_FACTOR * bestBefore) {
      return StopReason.DIVERGED;
    }
    // epsilon 0 asks for no convergence stop at all: a window worse than the best before it is noise, not a plateau
    if (epsilon > 0) {
      // the judged span: the last window evaluations, widened back until it holds minUpdates updates
      int start = n - window;
      while (start > 1 && point.updates() - judged.get(start - 1).updates() < minUpdates) {
        start--;
      }
      if (point.updates() - judged.get(start - 1).updates() < minUpdates) {
        return null; // not a pass over the data since the first evaluation judged
      }
      if (bestLoss(0, start) - bestLoss(start, n) < epsilon) {
        return StopReason.CONVERGED;
      }
    }
    return null;
  }

  /** The best validation loss of the judged evaluations {@code [from, to)}. */
  private double bestLoss(int from, int to) {
    double best = Double.POSITIVE_INFINITY;
    for (int i = from; i < to; i++) {
      best = Math.min(best, judged.get(i).validationLoss());
    }
    return best;
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
