package dev.stratus.runner.lambda.local;

import static dev.stratus.runner.lambda.local.TestFunctions.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

/** Above the concurrency cap the service answers 429, as Lambda does; the SDK's own retries are off here. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConcurrencyLimitTest {

  @Test
  void invocationsAboveTheCapAreThrottled() throws Exception {
    try (LocalLambdaService service = LocalLambdaService.start(
            LocalLambdaService.Config.defaults().withConcurrencyLimit(1));
        LambdaClient client = service.clientBuilder()
            .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
            .build()) {
      service.registerFunction(TestFunctions.spec("busy").withTimeoutSeconds(30));
      CompletableFuture<InvokeResponse> first = CompletableFuture.supplyAsync(
          () -> client.invoke(request -> request.functionName("busy").payload(command("sleep 3000"))));
      awaitLiveEnvironment(service);

      TooManyRequestsException throttled = assertThrows(TooManyRequestsException.class,
          () -> client.invoke(request -> request.functionName("busy").payload(command("echo"))));

      assertEquals(429, throttled.statusCode());
      assertEquals("ConcurrentInvocationLimitExceeded", throttled.reasonAsString());
      assertNull(first.get(30, TimeUnit.SECONDS).functionError(), "the running call was not disturbed");
      assertEquals(1, service.stats("busy").throttles());
      assertNull(client.invoke(request -> request.functionName("busy").payload(command("echo"))).functionError(),
          "once the slot is free the next call runs");
    }
    assertEquals(0, TestFunctions.descendants(), "environment processes left behind");
  }

  private static void awaitLiveEnvironment(LocalLambdaService service) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (service.liveEnvironments() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(service.liveEnvironments() > 0, "the first call never started an environment");
  }
}
