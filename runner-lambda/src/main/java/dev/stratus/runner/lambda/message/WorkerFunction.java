package dev.stratus.runner.lambda.message;

/** The worker function as the driver and the deploy command register it with Lambda. */
public final class WorkerFunction {
  /**
   * The function's handler, as Lambda names it. A name, not a class reference: the driver side loads none of the
   * worker's classes (the worker's tests check that it names the handler).
   */
  public static final String HANDLER = "dev.stratus.runner.lambda.worker.WorkerHandler::handleRequest";

  private WorkerFunction() {}
}
