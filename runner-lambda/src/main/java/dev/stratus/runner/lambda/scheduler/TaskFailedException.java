package dev.stratus.runner.lambda.scheduler;

/**
 * A task that failed on every attempt. {@link #getCause()} is the worker's own exception when the worker reported
 * one (a user DoFn's, an assertion's), rebuilt in the driver.
 */
public final class TaskFailedException extends Exception {
  public TaskFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
