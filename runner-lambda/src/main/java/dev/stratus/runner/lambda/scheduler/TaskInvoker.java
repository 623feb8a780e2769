package dev.stratus.runner.lambda.scheduler;

/** Sends one task attempt to a worker and waits for its answer. */
public interface TaskInvoker extends AutoCloseable {
  Outcome invoke(byte[] requestJson);

  /**
   * An invoker of the service's function {@code functionName} (a variant of the worker function) over this one's
   * connection, which stays this one's to close: closing the other leaves it open.
   */
  default TaskInvoker forFunction(String functionName) {
    throw new UnsupportedOperationException(getClass().getName() + " invokes one function only, not " + functionName);
  }

  /** Closes the connection to the service, unless this invoker shares another's ({@link #forFunction}). */
  @Override
  void close();

  /** How an invocation ended, as far as the Lambda service tells. */
  sealed interface Outcome {
    /** The worker answered (its summary may still report a failed task). */
    record Answered(byte[] responseJson) implements Outcome {}

    /** The invocation itself failed: the handler crashed, ran out of memory or time, or the call did not get through. */
    record Failed(String errorType, String message) implements Outcome {}

    /** The service refused the call for lack of concurrency (HTTP 429); nothing ran. */
    record Throttled(String message) implements Outcome {}
  }
}
