package dev.stratus.jobs.search;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How many experiments a search with no parallelism set runs at once, decided from how fast they train: from two (the
 * fewest that show whether experiments run side by side, and a start for searches of experiments too short to be
 * judged), it doubles the count while each experiment still makes nearly the progress a second it made at the count
 * before (so that the search's total grows nearly in proportion), and goes back and settles where it does not. Progress is rows
 * a second (an SGD update's minibatch, an L-BFGS pass's training set) between an experiment's evaluations, counted
 * only while the count is full, and not over an experiment's first evaluations (its start). On a machine of few cores
 * the experiments' workers soon wait for cores and it settles low; where each worker has a core of its own it goes on
 * until the shards or the service's limits slow every experiment.
 */
final class SearchScaling {
  /** Rates judged at each count, for each experiment running at it. */
  static final int SAMPLES = 3;
  /** Each experiment's rate at twice the count must stay at least this share of the rate before, or it goes back. */
  static final double KEEP_RATIO = 0.75;

  private final int most;
  private int count;
  private int previousCount;
  private double previousRate = Double.NaN;
  private final List<Double> rates = new ArrayList<>();
  private boolean settled;
  private String reason = "";

  /** @param most experiments in the search: never more at once */
  SearchScaling(int most) {
    this.most = most;
    this.count = Math.min(2, most);
    this.settled = count >= most;
  }

  /** Experiments to run at once now. */
  int count() {
    return count;
  }

  boolean settled() {
    return settled;
  }

  /** Why the count changed or settled, for the console. */
  String reason() {
    return reason;
  }

  /**
   * An experiment made {@code rowsPerSecond} since its last evaluation, with {@code running} experiments running;
   * returns whether the count changed.
   */
  boolean observe(double rowsPerSecond, int running) {
    if (settled || running != count || !(rowsPerSecond > 0)) {
      return false;
    }
    rates.add(rowsPerSecond);
    if (rates.size() < SAMPLES * count) {
      return false;
    }
    List<Double> sorted = new ArrayList<>(rates);
    sorted.sort(null);
    double rate = sorted.get(sorted.size() / 2);
    rates.clear();
    if (!Double.isNaN(previousRate) && rate < KEEP_RATIO * previousRate) {
      reason = String.format(Locale.ROOT, "with %d at once each trained %.0f rows/s against %.0f with %d, not %.0f%%"
          + " of it", count, rate, previousRate, previousCount, 100 * KEEP_RATIO);
      count = previousCount;
      settled = true;
      return true;
    }
    if (count >= most) {
      reason = String.format(Locale.ROOT, "all %d experiments at once, each training %.0f rows/s", most, rate);
      settled = true;
      return false;
    }
    reason = String.format(Locale.ROOT, "with %d at once each trained %.0f rows/s%s", count, rate,
        Double.isNaN(previousRate) ? "" : String.format(Locale.ROOT, " against %.0f with %d", previousRate,
            previousCount));
    previousRate = rate;
    previousCount = count;
    count = Math.min(most, 2 * count);
    return true;
  }
}
