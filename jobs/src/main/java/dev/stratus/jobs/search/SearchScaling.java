package dev.stratus.jobs.search;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How many experiments a search with no parallelism set runs at once, decided from how fast they train: from two (the
 * fewest that show whether experiments run side by side, and a start for searches of experiments too short to be
 * judged), it doubles the count while each experiment still makes nearly the progress a second it made at the count
 * before (so that the search's total grows nearly in proportion), and goes back and settles where it does not.
 *
 * <p>Progress is rows a second (an SGD update's minibatch, an L-BFGS pass's training set) between an experiment's
 * evaluations, counted only while the count is full, and not over an experiment's first evaluations (its start). Each
 * experiment that ran at both counts is compared with itself, its latest {@value #SAMPLES} rates at each, so that experiments of different minibatch sizes or
 * models do not pass for a change of pace; the median of their ratios decides, once at least two ran at both (until
 * then the count stays). On a machine of few cores the experiments' workers soon wait for cores and it settles low;
 * where each worker has a core of its own it goes on until the shards or the service's limits slow every experiment.
 */
final class SearchScaling {
  /** Rates judged at each count, for each experiment running at it. */
  static final int SAMPLES = 3;
  /** Each experiment's rate at twice the count must stay at least this share of the rate before, or it goes back. */
  static final double KEEP_RATIO = 0.75;

  private final int most;
  private int count;
  private int previousCount;
  /** Each experiment's median rate at the count before; empty at the first count. */
  private Map<Integer, Double> previousRates = Map.of();
  /** The latest {@value #SAMPLES} rates at the count now, by experiment. */
  private final Map<Integer, List<Double>> rates = new HashMap<>();
  private int samples;
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
   * Experiment {@code id} made {@code rowsPerSecond} since its last evaluation, with {@code running} experiments
   * running; returns whether the count changed.
   */
  boolean observe(int id, double rowsPerSecond, int running) {
    if (settled || running != count || !(rowsPerSecond > 0 && rowsPerSecond < Double.POSITIVE_INFINITY)) {
      return false;
    }
    List<Double> its = rates.computeIfAbsent(id, k -> new ArrayList<>());
    its.add(rowsPerSecond);
    if (its.size() > SAMPLES) {
      its.remove(0); // its latest pace: an experiment speeds up as the JVMs warm up
    }
    if (++samples < SAMPLES * count) {
      return false;
    }
    Map<Integer, Double> now = new HashMap<>();
    rates.forEach((experiment, latest) -> now.put(experiment, median(latest)));
    List<Double> ratios = new ArrayList<>();
    now.forEach((experiment, rate) -> {
      Double before = previousRates.get(experiment);
      if (before != null) {
        ratios.add(rate / before);
      }
    });
    if (ratios.size() < Math.min(2, previousRates.size())) {
      // too few ran at both counts to tell a change of pace from one experiment's own: wait for more
      return false;
    }
    rates.clear();
    samples = 0;
    double kept = ratios.isEmpty() ? Double.NaN : median(ratios);
    String judged = String.format(Locale.ROOT, "the median of the %d experiments that ran at both", ratios.size());
    if (kept < KEEP_RATIO) {
      reason = String.format(Locale.ROOT, "with %d at once %s trained %.0f%% of its rows a second with %d, not %.0f%%",
          count, judged, 100 * kept, previousCount, 100 * KEEP_RATIO);
      count = previousCount;
      settled = true;
      return true;
    }
    String pace = Double.isNaN(kept)
        ? String.format(Locale.ROOT, "each trained %.0f rows/s", median(new ArrayList<>(now.values())))
        : String.format(Locale.ROOT, "%s kept %.0f%% of its rows a second with %d", judged, 100 * kept, previousCount);
    if (count >= most) {
      reason = String.format(Locale.ROOT, "%d at once, the most: %s", most, pace);
      settled = true;
      return false;
    }
    reason = String.format(Locale.ROOT, "with %d at once %s", count, pace);
    previousRates = now;
    previousCount = count;
    count = Math.min(most, 2 * count);
    return true;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }
}
