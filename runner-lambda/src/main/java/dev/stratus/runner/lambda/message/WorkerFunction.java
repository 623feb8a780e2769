package dev.stratus.runner.lambda.message;

/** The worker function as the driver and the deploy command register it with Lambda. */
public final class WorkerFunction {
  /**
   * The function's handler, as Lambda names it. A name, not a class reference: the driver side loads none of the
   * worker's classes (the worker's tests check that it names the handler).
   */
  public static final String HANDLER = "dev.stratus.runner.lambda.worker.WorkerHandler::handleRequest";

  /** The longest function name Lambda takes. */
  static final int MAX_NAME_LENGTH = 64;

  private WorkerFunction() {}

  /**
   * The variant function of {@code functionName} at {@code memoryMb}: the same code and handler at that memory, since
   * a Lambda function has one memory setting. Throws IllegalArgumentException when the name would be longer than
   * Lambda takes.
   */
  public static String nameAt(String functionName, int memoryMb) {
    String variant = functionName + "-" + memoryMb + "mb";
    if (variant.length() > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException("the worker function " + functionName + " at " + memoryMb + " MB would be "
          + variant + ", longer than the " + MAX_NAME_LENGTH + " characters Lambda takes for a function's name:"
          + " shorten the function's name");
    }
    return variant;
  }
}
