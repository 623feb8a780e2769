package dev.stratus.runner.lambda.scheduler;

/**
 * A task that failed on every attempt. {@link #getCause()} is the worker's exception when the worker reported one (a
 * user DoFn's, an assertion's), rebuilt in the driver from its description: a JDK exception type as itself, any other
 * as a {@code WorkerFailedException} naming its type, each with the worker's message and stack.
 */
public final class TaskFailedException extends Exception {
  public TaskFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
