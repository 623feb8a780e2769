package dev.stratus.spi;

/**
 * An invocation of a worker function that failed: the entry point threw, or its environment died or timed out; or,
 * in the driver, a worker's exception of a type the driver does not recreate, named by {@link #errorType()}.
 */
public final class WorkerFailedException extends RuntimeException {
  private final String errorType;

  public WorkerFailedException(String errorType, String message) {
    super(errorType + ": " + message);
    this.errorType = errorType;
  }

  /** The error's type as the function service reported it (an exception class, or e.g. Runtime.ExitError). */
  public String errorType() {
    return errorType;
  }
}
