package dev.stratus.transforms.train;

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
  /** Someone asked the job to stop (a tuner killing a bad trial, a user). */
  STOPPED
}
