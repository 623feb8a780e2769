package dev.stratus.jobs.search;

import dev.stratus.jobs.train.ConsoleView;
import dev.stratus.jobs.train.CurvePoint;
import dev.stratus.jobs.train.ScalingDecision;
import dev.stratus.jobs.train.ShardRestart;

/** Follows a search as it goes (a console view, a dashboard); called from the threads of every experiment. */
public interface SearchListener {
  /** Experiment {@code experiment} is part of the search; called for each before any starts. */
  default void waiting(Experiment experiment) {}

  /**
   * Experiment {@code experiment} starts training with {@code workers} workers; {@code resumed} is null, or how a
   * resumed search goes on with it ({@link ExperimentResult#RESUMED_FROM_SNAPSHOTS}, {@link
   * ExperimentResult#RESTARTED_FROM_SCRATCH}).
   */
  default void started(Experiment experiment, int workers, String resumed) {}

  /** Experiment {@code id} counts its progress in {@code unit}: "updates" (SGD's pushes) or "passes" (L-BFGS's). */
  default void counts(int id, String unit) {}

  /** Experiment {@code id} runs {@code workers} workers now: at its start, and whenever its driver changes the count. */
  default void workers(int id, int workers) {}

  /** Experiment {@code id}'s driver decided on its worker count: changed it, or settled. */
  default void scaled(int id, ScalingDecision decision) {}

  /**
   * The search, which chooses how many experiments run at once, changed that count from {@code from} to {@code to}
   * (equal when it settled), for {@code reason}.
   */
  default void experimentsAtOnce(int from, int to, String reason) {}

  /** Experiment {@code id} was evaluated on the validation set. */
  default void evaluated(int id, CurvePoint point) {}

  /** A shard of experiment {@code id}'s (every running one's: they share the shards) died and came back. */
  default void shardRestarted(int id, ShardRestart restart) {}

  /** Experiment {@code result.id()} ended, or was recorded by an earlier run ({@code result.resumed()} says so). */
  default void ended(ExperimentResult result) {}

  /** Shows the search on {@code view}: one line per experiment. */
  static SearchListener showingOn(ConsoleView view) {
    return new SearchListener() {
      @Override
      public void waiting(Experiment experiment) {
        view.waiting(experiment.id(), "experiment " + experiment.id() + " (" + experiment.describe() + ")");
      }

      @Override
      public void started(Experiment experiment, int workers, String resumed) {
        view.running(experiment.id(), workers, resumed == null ? "running" : "running, " + resumed);
      }

      @Override
      public void counts(int id, String unit) {
        view.counts(id, unit);
      }

      @Override
      public void workers(int id, int workers) {
        view.workers(id, workers);
      }

      @Override
      public void evaluated(int id, CurvePoint point) {
        view.evaluated(id, point);
      }

      @Override
      public void ended(ExperimentResult result) {
        if (ExperimentResult.RECORDED.equals(result.resumed())) {
          view.ended(result.id(), result.state() + " in an earlier run, not run again", result.bestValidationLoss(),
              result.updates(), result.seconds());
        } else {
          view.ended(result.id(), result.state(), result.bestValidationLoss(), result.updates(), result.seconds());
        }
      }
    };
  }
}
