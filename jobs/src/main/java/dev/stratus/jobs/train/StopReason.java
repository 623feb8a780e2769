package dev.stratus.jobs.train;

/** Why a training job stopped. */
public enum StopReason {
  /** The test loss improved by less than epsilon over the evaluation window. */
  CONVERGED,
  /** The time budget ran out. */
  TIMEOUT,
  /** The loss became NaN or infinite, or kept rising. */
  DIVERGED,
  /** Every worker finished its epochs. */
  EPOCHS_DONE,
  /** A search's successive halving stopped it at a rung: its loss was not among the best there. */
  HALVED,
  /** Someone stopped it from outside (a user, a search being stopped). */
  KILLED,
  /** Its workers had cost what its cost cap allows ({@link TrainingSpec#maxCostDollars}). */
  BUDGET
}
