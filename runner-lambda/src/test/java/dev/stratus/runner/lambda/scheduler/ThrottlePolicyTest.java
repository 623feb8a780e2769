package dev.stratus.runner.lambda.scheduler;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.lambda.local.LocalLambdaService;
import dev.stratus.lambda.local.TestFunctions;
import dev.stratus.spi.WorkerFailedException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.services.lambda.LambdaClient;

/**
 * The throttle policy against the local Lambda service at its concurrency cap: one long call holds the only slot, so
 * the service throttles (429) every other call, as Lambda does above the account's concurrency.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ThrottlePolicyTest {
  /**
   * A local Lambda service with room for one call, taken by a call of function "busy" that sleeps for 55 s, and the
   * worker calls of an in-driver executor on it, whose throttled calls wait {@code backoff} before they are tried
   * again: each of them is refused.
   */
  private record FullService(LocalLambdaService service, LambdaClient holder, TaskInvoker invoker,
      LambdaWorkers workers) implements AutoCloseable {
    static FullService start(Duration backoff) throws InterruptedException {
      LocalLambdaService service = LocalLambdaService.start(LocalLambdaService.Config.defaults()
          .withEnvironmentMode(LocalLambdaService.EnvironmentMode.IN_PROCESS)
          .withConcurrencyLimit(1));
      LambdaClient holder = service.clientBuilder()
          .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
          .build();
      TaskInvoker invoker = new LambdaTaskInvoker(
          LambdaTaskInvoker.configure(service.clientBuilder(), Duration.ofSeconds(90)).build(), "busy");
      FullService full = new FullService(service, holder, invoker,
          new LambdaWorkers(invoker, new ThrottlePolicy(backoff), "busy", 60, 128, List.of(), false, true,
              "on the local Lambda service"));
      try {
        service.registerFunction(TestFunctions.spec("busy").withTimeoutSeconds(60));
        CompletableFuture.runAsync(() ->
            holder.invoke(request -> request.functionName("busy").payload(TestFunctions.command("sleep 55000"))));
        awaitLiveEnvironment(service);
        return full;
      } catch (RuntimeException | Error | InterruptedException e) {
        full.close();
        throw e;
      }
    }

    @Override
    public void close() {
      workers.close();
      invoker.close();
      holder.close();
      service.close();
    }
  }

  @Test
  void aWorkerCallThrottledUpToTheLimitFailsSayingWhy() throws Exception {
    // No wait between calls: the test is about the limit, not the backoff.
    try (FullService full = FullService.start(Duration.ZERO)) {
      LambdaWorkers workers = full.workers();
      ExecutionException e = assertThrows(ExecutionException.class, () -> workers.invoke("any", new byte[0]).get());

      WorkerFailedException failure = assertInstanceOf(WorkerFailedException.class, e.getCause());
      assertEquals("TooManyRequestsException", failure.errorType());
      assertThat(failure.getMessage(), containsString("throttled " + ThrottlePolicy.MAX_THROTTLES + " times in a row,"
          + " gave up (Lambda throttles invocations above the account's or the function's concurrency limit)"));
      assertEquals(ThrottlePolicy.MAX_THROTTLES, full.service().stats("busy").throttles(),
          "calls the service throttled");
      assertEquals(0, workers.invocations(), "invocations that ran");
    }
  }

  /**
   * A worker call the driver gave up on while the service throttles it (a doubling the service has no room for) is
   * not tried again once its answer is cancelled: it never runs later, when the service has room. While refused, the
   * call says so, for the driver to tell it from a worker that runs.
   */
  @Test
  void aThrottledWorkerCallWhoseAnswerIsCancelledIsNotTriedAgain() throws Exception {
    try (FullService full = FullService.start(Duration.ofMillis(50))) {
      LambdaWorkers workers = full.workers();
      CompletableFuture<byte[]> answer = workers.invoke("any", new byte[0]);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (full.service().stats("busy").throttles() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(full.service().stats("busy").throttles() >= 3,
          "the service throttled the call: " + full.service().stats("busy").throttles());
      assertTrue(workers.refusedNow(answer), "the call waits on a refusal");
      answer.cancel(false);
      Thread.sleep(2_000); // the wait it may be in: at most 32 x 50 ms = 1.6 s, after which it gives up
      long throttledThen = full.service().stats("busy").throttles();
      Thread.sleep(2_000); // twice the longest wait: a retry would have been made
      assertEquals(throttledThen, full.service().stats("busy").throttles(), "calls after the cancel");
      assertEquals(0, workers.invocations(), "invocations that ran");
      assertFalse(workers.refusedNow(answer), "an abandoned call waits on nothing");
    }
  }

  @Test
  void theWaitDoublesUpToThirtyTwoTimesTheFirst() {
    ThrottlePolicy policy = new ThrottlePolicy(Duration.ofMillis(200));
    assertEquals(
        List.of(200L, 400L, 800L, 1_600L, 3_200L, 6_400L, 6_400L),
        IntStream.of(1, 2, 3, 4, 5, 6, ThrottlePolicy.MAX_THROTTLES)
            .mapToObj(throttles -> policy.waitAfter(throttles).toMillis())
            .toList());
  }

  private static void awaitLiveEnvironment(LocalLambdaService service) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (service.liveEnvironments() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(service.liveEnvironments() > 0, "the long call never started an environment");
  }
}
