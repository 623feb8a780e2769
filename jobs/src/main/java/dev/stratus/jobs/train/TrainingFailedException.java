package dev.stratus.jobs.train;

/** A training job that cannot go on, such as a worker that died more often than the job allows. */
public final class TrainingFailedException extends RuntimeException {
  public TrainingFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
