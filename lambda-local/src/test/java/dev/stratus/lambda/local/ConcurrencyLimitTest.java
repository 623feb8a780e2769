package dev.stratus.lambda.local;

import static dev.stratus.lambda.local.TestFunctions.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

/** Above the concurrency cap the service answers 429, as Lambda does; the SDK's own retries are off here. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConcurrencyLimitTest {

  @Test
  void invocationsAboveTheCapAreThrottled(@TempDir Path dir) throws Exception {
    try (LocalLambdaService service = LocalLambdaService.start(
            LocalLambdaService.Config.defaults().withConcurrencyLimit(1));
        LambdaClient client = service.clientBuilder()
            .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
            .build()) {
      service.registerFunction(TestFunctions.spec("busy").withTimeoutSeconds(30));
      Path release = dir.resolve("release");
      CompletableFuture<InvokeResponse> first = CompletableFuture.supplyAsync(
          () -> client.invoke(request -> request.functionName("busy").payload(command("await " + release))));
      TestFunctions.awaitHandlersRunning(service, "busy", 1);

      TooManyRequestsException throttled = assertThrows(TooManyRequestsException.class,
          () -> client.invoke(request -> request.functionName("busy").payload(command("echo"))));
      Files.createFile(release);

      assertEquals(429, throttled.statusCode());
      assertEquals("ConcurrentInvocationLimitExceeded", throttled.reasonAsString());
      assertNull(first.get(30, TimeUnit.SECONDS).functionError(), "the running call was not disturbed");
      assertEquals(1, service.stats("busy").throttles());
      assertNull(client.invoke(request -> request.functionName("busy").payload(command("echo"))).functionError(),
          "once the slot is free the next call runs");
    }
    assertEquals(0, TestFunctions.descendants(), "environment processes left behind");
  }

  @Test
  void parallelCallsGetEnvironmentsOfTheirOwnThenReuseThem(@TempDir Path dir) throws Exception {
    try (LocalLambdaService service = LocalLambdaService.start();
        LambdaClient client = service.clientBuilder().build()) {
      service.registerFunction(TestFunctions.spec("parallel").withTimeoutSeconds(30));

      Set<Long> firstWave = wave(service, client, 4, dir.resolve("first"));
      Set<Long> secondWave = wave(service, client, 4, dir.resolve("second"));

      assertEquals(4, firstWave.size(), "four overlapping calls, four environments");
      assertTrue(firstWave.containsAll(secondWave), "the second wave ran in the warm environments");
      FunctionStats stats = service.stats("parallel");
      assertEquals(4, stats.coldStarts());
      assertEquals(4, stats.warmStarts());
    }
    assertEquals(0, TestFunctions.descendants(), "environment processes left behind");
  }

  /**
   * Runs {@code calls} invocations that all wait for {@code release}, creates it once all of them are running
   * together, and returns the pids of the environments that served them.
   */
  private static Set<Long> wave(LocalLambdaService service, LambdaClient client, int calls, Path release)
      throws Exception {
    ExecutorService callers = Executors.newFixedThreadPool(calls);
    try {
      List<Future<InvokeResponse>> responses = new ArrayList<>();
      for (int i = 0; i < calls; i++) {
        responses.add(callers.submit(
            () -> client.invoke(request -> request.functionName("parallel").payload(command("await " + release)))));
      }
      TestFunctions.awaitHandlersRunning(service, "parallel", calls);
      Files.createFile(release);
      Set<Long> pids = new HashSet<>();
      for (Future<InvokeResponse> response : responses) {
        InvokeResponse answer = response.get(30, TimeUnit.SECONDS);
        assertNull(answer.functionError(), answer.payload().asUtf8String());
        pids.add(Json.MAPPER.readTree(answer.payload().asByteArray()).get("pid").asLong());
      }
      return pids;
    } finally {
      callers.shutdownNow();
    }
  }
}
