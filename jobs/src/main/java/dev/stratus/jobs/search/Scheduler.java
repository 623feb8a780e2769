package dev.stratus.jobs.search;

import dev.stratus.jobs.train.CurvePoint;
import dev.stratus.jobs.train.StopReason;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides, evaluation by evaluation, which experiments of a search go on. A scheduler is a serializable setting; each
 * search gets its own {@link Judge}, which holds the state (what each experiment and each rung has seen) and is
 * called from the threads of every running experiment.
 */
public sealed interface Scheduler extends Serializable
    permits Scheduler.None, Scheduler.StopDiverged, Scheduler.SuccessiveHalving {

  /** The state of one search. */
  interface Judge {
    /** Experiment {@code experiment} was evaluated at {@code point}: why to stop it now, or null to go on. */
    StopReason observe(int experiment, CurvePoint point);
  }

  Judge newJudge();

  /** Every experiment runs until its own training stops it (convergence, timeout, divergence, epochs). */
  static Scheduler none() {
    return new None();
  }

  /**
   * Stops an experiment whose loss is not finite, or rose at each of {@code window} evaluations in a row to over 1.1
   * times its best, or was over 1.1 times the untrained model's (its first evaluation) at each of them. Evaluations
   * without new updates since the one before (workers starting) do not count.
   */
  static Scheduler stopDiverged(int window) {
    return new StopDiverged(window);
  }

  /**
   * Asynchronous successive halving: rungs at {@code minUpdates × reductionFactor^k} updates; an experiment that
   * reaches a rung goes on only if its best loss so far is among the best {@code 1/reductionFactor} of the losses
   * recorded at that rung by the experiments that reached it before (and itself); else it stops as {@link
   * StopReason#HALVED}, freeing its place for the next waiting experiment. No experiment is judged before {@code
   * gracePeriodUpdates}. A diverging experiment is left to its training's own monitor, or halved at its next rung.
   */
  static Scheduler successiveHalving(long minUpdates, int reductionFactor, long gracePeriodUpdates) {
    return new SuccessiveHalving(minUpdates, reductionFactor, gracePeriodUpdates);
  }

  /**
   * {@link #successiveHalving(long, int, long)} with rungs by the experiment's training time instead of its updates:
   * rungs at {@code firstRungSeconds × reductionFactor^k} seconds since it started, none judged before {@code
   * gracePeriodSeconds}. Fits experiments whose updates differ in cost (minibatch sizes, worker counts).
   */
  static Scheduler successiveHalvingBySeconds(double firstRungSeconds, int reductionFactor, double gracePeriodSeconds) {
    return new SuccessiveHalving(Budget.SECONDS, firstRungSeconds, reductionFactor, gracePeriodSeconds);
  }

  /** What successive halving's rungs count. */
  enum Budget {
    /** The updates the experiment's model received. */
    UPDATES,
    /** The seconds since the experiment's training started. */
    SECONDS;

    double spentAt(CurvePoint point) {
      return this == UPDATES ? point.updates() : point.seconds();
    }

    String unit() {
      return this == UPDATES ? "updates" : "seconds";
    }
  }

  record None() implements Scheduler {
    @Override
    public Judge newJudge() {
      return (experiment, point) -> null;
    }
  }

  record StopDiverged(int window) implements Scheduler {
    /** A rise counts as divergence only once the loss is this far above the best seen: noise near the optimum is not. */
    static final double RISE_FACTOR = 1.1;

    public StopDiverged {
      if (window < 1) {
        throw new IllegalArgumentException("stopDiverged: window must be at least 1 evaluation, got " + window);
      }
    }

    @Override
    public Judge newJudge() {
      Map<Integer, Losses> losses = new HashMap<>();
      return (experiment, point) -> {
        Losses seen;
        synchronized (losses) {
          seen = losses.computeIfAbsent(experiment, e -> new Losses());
        }
        synchronized (seen) {
          return seen.diverged(point, window) ? StopReason.DIVERGED : null;
        }
      };
    }
  }

  /** The losses one experiment has shown, and whether they diverge. */
  final class Losses {
    /** The first evaluation's loss: the untrained model's ({@code TrainingDriver} evaluates it before any worker runs). */
    private double untrained = Double.NaN;
    private long updates;
    private double best = Double.POSITIVE_INFINITY;
    private final List<Double> seen = new ArrayList<>();

    /**
     * Records {@code point}; true when its loss is not finite, or over the last {@code window} evaluations the loss
     * either stayed above {@link StopDiverged#RISE_FACTOR} times the untrained model's or rose at each, to over that
     * factor times the best. Only evaluations after new updates count: while workers start, nothing is learnt.
     */
    boolean diverged(CurvePoint point, int window) {
      double loss = point.validationLoss();
      if (!Double.isFinite(loss)) {
        return true;
      }
      if (Double.isNaN(untrained)) {
        untrained = loss;
        updates = point.updates();
        return false;
      }
      if (point.updates() <= updates) {
        return false;
      }
      updates = point.updates();
      seen.add(loss);
      best = Math.min(best, loss);
      int n = seen.size();
      if (n < window) {
        return false;
      }
      boolean allWorseThanUntrained = true;
      boolean rising = n > window;
      for (int i = n - window; i < n; i++) {
        allWorseThanUntrained &= seen.get(i) > StopDiverged.RISE_FACTOR * untrained;
        rising &= i > 0 && seen.get(i) > seen.get(i - 1);
      }
      return allWorseThanUntrained || (rising && loss > StopDiverged.RISE_FACTOR * best);
    }
  }

  /**
   * @param budget what the rungs count
   * @param firstRung the first rung, in {@code budget}'s unit
   * @param gracePeriod rungs below this are skipped, in {@code budget}'s unit
   */
  record SuccessiveHalving(Budget budget, double firstRung, int reductionFactor, double gracePeriod)
      implements Scheduler {

    public SuccessiveHalving {
      if (budget == null) {
        throw new IllegalArgumentException("successiveHalving: the rungs' budget must be UPDATES or SECONDS, got null");
      }
      if (!(budget == Budget.UPDATES ? firstRung >= 1 : firstRung > 0) || Double.isInfinite(firstRung)) {
        throw new IllegalArgumentException("successiveHalving: the first rung must be "
            + (budget == Budget.UPDATES ? "at least 1" : "more than 0") + " " + budget.unit() + ", got " + firstRung);
      }
      if (reductionFactor < 2) {
        throw new IllegalArgumentException(
            "successiveHalving: reductionFactor must be at least 2, got " + reductionFactor);
      }
      if (!(gracePeriod >= 0)) {
        throw new IllegalArgumentException(
            "successiveHalving: the grace period must be at least 0 " + budget.unit() + ", got " + gracePeriod);
      }
    }

    /** Rungs by updates. */
    public SuccessiveHalving(long minUpdates, int reductionFactor, long gracePeriodUpdates) {
      this(Budget.UPDATES, minUpdates, reductionFactor, gracePeriodUpdates);
    }

    /** Rung {@code k}, in {@link #budget}'s unit. */
    public double rung(int k) {
      return firstRung * Math.pow(reductionFactor, k);
    }

    @Override
    public Judge newJudge() {
      return new HalvingJudge(this);
    }
  }

  /** The rungs of one search and each experiment's progress through them. */
  final class HalvingJudge implements Judge {
    private final SuccessiveHalving settings;
    /** The losses recorded at each rung, in the order experiments reached it. */
    private final List<List<Double>> rungs = new ArrayList<>();
    private final Map<Integer, Progress> experiments = new HashMap<>();

    private static final class Progress {
      double best = Double.POSITIVE_INFINITY;
      int nextRung;
    }

    HalvingJudge(SuccessiveHalving settings) {
      this.settings = settings;
    }

    @Override
    public synchronized StopReason observe(int experiment, CurvePoint point) {
      Progress progress = experiments.computeIfAbsent(experiment, e -> new Progress());
      if (Double.isFinite(point.validationLoss())) {
        progress.best = Math.min(progress.best, point.validationLoss());
      }
      double best = progress.best;
      double spent = settings.budget().spentAt(point);
      while (spent >= settings.rung(progress.nextRung)) {
        int k = progress.nextRung++;
        if (settings.rung(k) < settings.gracePeriod()) {
          continue;
        }
        while (rungs.size() <= k) {
          rungs.add(new ArrayList<>());
        }
        List<Double> recorded = rungs.get(k);
        recorded.add(best);
        long better = recorded.stream().filter(loss -> loss < best).count();
        long kept = Math.max(1, recorded.size() / settings.reductionFactor());
        if (better + 1 > kept) {
          return StopReason.HALVED;
        }
      }
      return null;
    }

    /** How many experiments reached rung {@code k}. */
    public synchronized int reached(int k) {
      return k < rungs.size() ? rungs.get(k).size() : 0;
    }
  }
}
