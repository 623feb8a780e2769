package dev.stratus.runner.lambda.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.stratus.lambda.local.LocalLambdaService;
import dev.stratus.lambda.local.TestFunctions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Invokers of a function's variants through the driver's one LambdaClient, against the local Lambda service. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LambdaTaskInvokerTest {
  @Test
  void anInvokerOfAnotherFunctionSharesTheClientAndLeavesItOpenWhenClosed() {
    try (LocalLambdaService service = LocalLambdaService.start(
        LocalLambdaService.Config.defaults().withEnvironmentMode(LocalLambdaService.EnvironmentMode.IN_PROCESS))) {
      service.registerFunction(TestFunctions.spec("worker"));
      service.registerFunction(TestFunctions.spec("worker-512mb").withMemoryMb(512));
      byte[] echo = TestFunctions.command("echo hello").asByteArray();
      try (TaskInvoker invoker = new LambdaTaskInvoker(
          LambdaTaskInvoker.configure(service.clientBuilder(), Duration.ofSeconds(10)).build(), "worker")) {
        try (TaskInvoker variant = invoker.forFunction("worker-512mb")) {
          assertInstanceOf(TaskInvoker.Outcome.Answered.class, variant.invoke(echo));
        }

        assertInstanceOf(TaskInvoker.Outcome.Answered.class, invoker.invoke(echo), "the client is still open");
        assertEquals(1, service.stats("worker-512mb").invocations(), "invocations of the variant");
        assertEquals(1, service.stats("worker").invocations(), "invocations of the function");
      }
    }
  }
}
