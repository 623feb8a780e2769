package dev.stratus.spi;

/** What a worker invocation knows about itself. */
public interface WorkerContext {
  /** Milliseconds until the function's timeout ends this invocation. */
  long remainingMillis();

  /** The memory of this environment, in MB. */
  int memoryMb();

  /** The invocation's request id, for logs. */
  String requestId();
}
