package dev.stratus.transforms.tune;

import dev.stratus.transforms.train.CurvePoint;
import java.util.List;

/**
 * Follows a {@link SearchJob} as it goes (a dashboard, a console view). Called from the search's threads, the
 * experiments' at once: an implementation keeps its own state thread-safe and returns quickly.
 */
public interface SearchListener {
  /** The search starts; every experiment waits. */
  default void searchStarted(List<Experiment> experiments) {}

  /** Experiment {@code id} got a place and starts training. */
  default void experimentStarted(int id) {}

  /** Experiment {@code id} was evaluated on the validation set. */
  default void evaluated(int id, CurvePoint point) {}

  /**
   * Experiment {@code id} ended (stopped, or failed: {@code result.stopReason()} is null); its cost is its Lambda
   * cost, before the search shares out the shards' time.
   */
  default void experimentEnded(ExperimentResult result) {}
}
