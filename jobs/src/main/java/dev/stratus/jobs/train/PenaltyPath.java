package dev.stratus.jobs.train;

import java.util.Locale;

/**
 * The L2 penalties a linear model's training tries when its user set none, chosen on the validation set: the data
 * decides how much it wants (a few thousand noisy rows an order of magnitude more than liblinear's default C = 1,
 * tens of thousands of long text rows an order less), so no one value serves. Strongest first, as a regularisation
 * path: the training converges at each penalty, then goes on from those weights at the next, half a decade weaker,
 * while a weaker penalty still found a model better on the validation set than every one before; the driver keeps the
 * best model of all. At each new penalty the optimizer's state starts again, its steps as large as a new model's. An
 * SGD training whose epsilon is 0, which never stops, goes along the path all the same, then trains on at the best
 * penalty ({@link #backToBest}) until its time is up.
 */
public final class PenaltyPath {
  /**
   * liblinear's C of each penalty in turn ({@code l2 = 1 / (C n)} on n training rows), half a decade apart: the
   * validation set sees the finer choice. L-BFGS reaches each penalty's optimum a few tens of passes from the one
   * before (scikit-learn's digits: C = 3 by 300 rows, where decades' C = 10 came out 3.9% above the test loss at the
   * best C). So does SGD, whose path once went by decades to save phases: on the peers benchmark's 900,000 rows, whose
   * best C is 0.03, the decades' best, C = 0.1, left its rows 1.0012x to 1.0075x liblinear's test loss after 40 s,
   * where this path leaves them 1.0003x to 1.0007x.
   */
  private static final double[] CS = {0.01, 0.03, 0.1, 0.3, 1, 3, 10};
  /**
   * A penalty before the last is left once the best validation loss improves by less than this share of itself over
   * the monitor's window: enough to tell penalties apart, where training each to the user's epsilon (an absolute
   * 1e-4 by default) would spend most of the path on slow tails the next penalty moves away from anyway. At 1e-3 an
   * SGD phase on 900,000 rows ended before its penalty's plateau, and the weaker penalty after it, trained on from
   * those weights, passed for better (C = 0.1 kept over liblinear's best, 0.03, on the peers benchmark's rows).
   */
  static final double PHASE_TOLERANCE = 3e-4;

  private final long rows;
  private int at;
  /** The best validation loss when the penalty before this one converged. */
  private double bestBefore = Double.POSITIVE_INFINITY;
  private boolean ended;
  /** The penalty the best model so far was found at: the last one whose convergence improved the best loss. */
  private int bestAt;

  /** The path of a training on {@code rows} training rows. */
  PenaltyPath(long rows) {
    this.rows = Math.max(1, rows);
  }

  /** liblinear's C of each penalty the path may try, in turn. */
  public static double[] cs() {
    return CS.clone();
  }

  /**
   * The path of a resumed training, at the penalty {@code l2} it had reached, where the best
   * validation loss when the penalty before converged was {@code bestBefore} (infinite when not known); {@code ended}
   * when the path had ended, {@code l2} its best penalty.
   */
  static PenaltyPath resumedAt(long rows, float l2, double bestBefore, boolean ended) {
    PenaltyPath path = new PenaltyPath(rows);
    while (path.at < CS.length - 1 && path.l2() > l2 * 1.0001f) {
      path.at++;
    }
    path.bestBefore = bestBefore;
    path.bestAt = path.at;
    path.ended = ended;
    return path;
  }

  /**
   * The convergence the monitor judges the penalty now by: the user's {@code epsilon} once the path ended, and at its
   * weakest penalty unless that epsilon is 0 (a training that never stops still has to tell whether the weakest
   * penalty found a better model).
   */
  double epsilon(double userEpsilon, double bestLoss) {
    boolean finalWord = ended || at == CS.length - 1 && userEpsilon > 0;
    return finalWord || !Double.isFinite(bestLoss) ? userEpsilon : Math.max(userEpsilon, PHASE_TOLERANCE * bestLoss);
  }

  /** The penalty now. */
  float l2() {
    return (float) (1 / (CS[at] * rows));
  }

  /**
   * The penalty now converged with {@code bestLoss} the best validation loss so far: moves to the next one and says
   * so, or says the path ends (the last penalty, or this one found nothing better than those before).
   */
  boolean advance(double bestLoss) {
    boolean improved = bestLoss < bestBefore;
    bestBefore = bestLoss;
    if (improved) {
      bestAt = at;
    }
    if (!improved || at == CS.length - 1) {
      ended = true;
      return false;
    }
    at++;
    return true;
  }

  /** Whether the path ended: {@link #advance} said so. */
  boolean ended() {
    return ended;
  }

  /**
   * Moves back to the penalty the best model was found at, once the path ended past it; returns whether that is
   * another penalty than the one now.
   */
  boolean backToBest() {
    int before = at;
    at = bestAt;
    return at != before;
  }

  /** How the console names the penalty now. */
  String describe() {
    return String.format(Locale.ROOT, "l2 %.3g (C = %s)", l2(), CS[at]);
  }
}
