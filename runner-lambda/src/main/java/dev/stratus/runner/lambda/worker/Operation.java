package dev.stratus.runner.lambda.worker;

/**
 * A fused operation running inside a task: started before the root emits, given each element of its input, finished
 * in topological order once the root is done (so a finishing DoFn can still emit downstream), then closed.
 */
interface Operation extends Receiver {
  default void start() throws Exception {}

  default void finish() throws Exception {}

  default void close() throws Exception {}
}
