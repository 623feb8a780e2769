package dev.stratus.spi;

/**
 * Code a runner's worker function runs when a {@link TransformExecutor} invokes it by {@link #name()}; found through
 * {@link java.util.ServiceLoader} on the worker's class path. Requests and answers are bytes the two sides agree on
 * (keep them small: Lambda caps both at 6 MB); data travels through the store or a parameter server.
 */
public interface WorkerEntryPoint {
  String name();

  /** Handles one invocation; throwing fails the invocation with the exception's type and message. */
  byte[] handle(byte[] request, WorkerContext context) throws Exception;
}
