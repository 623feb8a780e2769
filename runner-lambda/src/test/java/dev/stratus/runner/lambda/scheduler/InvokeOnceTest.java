package dev.stratus.runner.lambda.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.stratus.lambda.local.LocalLambdaService;
import dev.stratus.lambda.local.TestFunctions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The driver's LambdaClient against the local Lambda service: a call that outlives the client's read timeout fails
 * once, and the service saw exactly one invocation; the SDK did not invoke the still-running task again.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class InvokeOnceTest {
  @Test
  void aCallThatOutlivesTheClientTimeoutIsInvokedOnce() throws InterruptedException {
    try (LocalLambdaService service = LocalLambdaService.start(
        LocalLambdaService.Config.defaults().withEnvironmentMode(LocalLambdaService.EnvironmentMode.IN_PROCESS))) {
      service.registerFunction(TestFunctions.spec("slow").withTimeoutSeconds(10));
      Duration clientTimeout = Duration.ofSeconds(1);
      long sleepMillis = 3_000;
      try (TaskInvoker invoker = new LambdaTaskInvoker(
          LambdaTaskInvoker.configure(service.clientBuilder(), clientTimeout).build(), "slow")) {

        TaskInvoker.Outcome outcome = invoker.invoke(TestFunctions.command("sleep " + sleepMillis).asByteArray());

        assertInstanceOf(TaskInvoker.Outcome.Failed.class, outcome, "the client gave up after " + clientTimeout);
        // Past the handler's end, and long enough for any retry the SDK would have made to reach the service.
        Thread.sleep(sleepMillis + 1_500);
        assertEquals(1, service.stats("slow").invocations(), "invocations the service saw for one call");
      }
    }
  }
}
