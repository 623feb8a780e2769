package dev.stratus.runner.lambda.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.runner.lambda.message.WorkerFunction;
import org.junit.jupiter.api.Test;

class WorkerHandlerTest {
  @Test
  void theHandlerNameTheDriverRegistersIsThisClass() {
    assertEquals(
        WorkerHandler.class.getName() + "::handleRequest",
        WorkerFunction.HANDLER,
        "the driver and the deploy command register the worker by this name");
  }
}
