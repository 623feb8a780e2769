package dev.stratus.jobs.train;

/**
 * How long the driver waits between two validation-loss evaluations. A user's fixed interval is kept. By default the
 * pace follows the data: the monitor judges convergence over a window of evaluations, and that window should span
 * enough training to mean something (at least {@value #PASSES_PER_EVALUATION} passes over the training rows an
 * evaluation) but no more time than needed: a small data set passes thousands of times in a second, and a fixed half
 * second between evaluations made its trainings (and each penalty of a {@link PenaltyPath}) wait seconds on a model
 * long converged. So: the time of {@value #PASSES_PER_EVALUATION} passes at the rate just measured, never under
 * {@value #EVALUATION_SHARE} times what the evaluation itself took (the driver's pass over the validation rows stays
 * a small share of a core), and between {@value #MIN_MILLIS} and {@value #MAX_MILLIS} ms.
 */
final class EvaluationPace {
  static final long MIN_MILLIS = 100;
  static final long MAX_MILLIS = 500;
  static final double PASSES_PER_EVALUATION = 2;
  static final int EVALUATION_SHARE = 20;

  /** 0: adaptive. */
  private final long fixedNanos;
  private final double rowsPerPass;
  private final int rowsPerUpdate;
  private long lastUpdates = -1;
  private long lastAt;
  private long nanos;

  /**
   * @param fixedMillis the user's interval, or 0 for the data's pace
   * @param trainingRows rows in one pass over the training data
   * @param rowsPerUpdate the minibatch size
   */
  EvaluationPace(long fixedMillis, long trainingRows, int rowsPerUpdate) {
    this.fixedNanos = fixedMillis * 1_000_000L;
    this.rowsPerPass = Math.max(1, trainingRows);
    this.rowsPerUpdate = Math.max(1, rowsPerUpdate);
    this.nanos = fixedNanos > 0 ? fixedNanos : MIN_MILLIS * 1_000_000L;
  }

  /** The wait before the next evaluation. */
  long nanos() {
    return nanos;
  }

  /**
   * Paces the next evaluation after one that ended at {@code at} (System.nanoTime) having taken {@code tookNanos},
   * when the model had {@code updates} updates.
   */
  void evaluated(long updates, long tookNanos, long at) {
    if (fixedNanos > 0) {
      return;
    }
    double passes = 0; // until the workers' rate is known
    if (lastUpdates >= 0 && updates > lastUpdates) {
      double rowsPerNano = (double) (updates - lastUpdates) * rowsPerUpdate / (at - lastAt);
      passes = PASSES_PER_EVALUATION * rowsPerPass / rowsPerNano;
    }
    double wanted = Math.max(passes, (double) EVALUATION_SHARE * tookNanos);
    nanos = (long) Math.min(MAX_MILLIS * 1e6, Math.max(MIN_MILLIS * 1e6, wanted));
    lastUpdates = updates;
    lastAt = at;
  }
}
