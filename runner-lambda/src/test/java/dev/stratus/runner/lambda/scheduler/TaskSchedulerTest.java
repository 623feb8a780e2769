package dev.stratus.runner.lambda.scheduler;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import dev.stratus.runner.lambda.LambdaRunner;
import dev.stratus.runner.lambda.LambdaRunnerOptions;
import dev.stratus.runner.lambda.graph.ExecutionGraph;
import dev.stratus.runner.lambda.message.InvocationPayloads;
import dev.stratus.runner.lambda.translate.LambdaOverrides;
import dev.stratus.runner.lambda.translate.PipelineTranslator;
import dev.stratus.runner.lambda.worker.WorkerHandler;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.runners.core.construction.SerializablePipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.junit.Test;

/**
 * The scheduler against a worker that answers the way Lambda does under pressure: each task's first call is throttled
 * (429) and its second crashes, before the worker (called in-process) runs it.
 */
public class TaskSchedulerTest {
  private final LambdaRunnerOptions options = PipelineOptionsFactory.as(LambdaRunnerOptions.class);

  {
    options.setRunner(LambdaRunner.class);
  }
  private final StoreSpec storeSpec = StoreSpec.embedded(Path.of("target", "scheduler-test-store"));
  private final ObjectStore store = ObjectStore.of(storeSpec);
  private TaskScheduler scheduler(TaskInvoker invoker, int maxAttempts) {
    return scheduler(invoker, maxAttempts, Duration.ofMillis(1));
  }

  private TaskScheduler scheduler(TaskInvoker invoker, int maxAttempts, Duration backoff) {
    store.ensureBucket("scheduler-test");
    return new TaskScheduler(
        new TaskScheduler.Config(
            store,
            invoker,
            4,
            new S3Path("scheduler-test", "job-" + UUID.randomUUID() + "/"),
            ObjectStore.embeddedServer(storeSpec.embeddedDir()).spec(),
            options,
            new SerializablePipelineOptions(options).toString(),
            maxAttempts,
            backoff,
            64L << 20,
            false,
            options.getFunctionName(),
            options.getTaskTimeoutSeconds(),
            options.getWorkerMemoryMb(),
            List.of(),
            false,
            true,
            "on this test's invoker"));
  }

  private static ExecutionGraph countingPipeline(LambdaRunnerOptions options) {
    MetricsEnvironment.setMetricsSupported(true);
    Pipeline p = Pipeline.create(options);
    PAssert.that(p.apply(Create.of("a", "b", "a")).apply(Count.perElement()))
        .containsInAnyOrder(KV.of("a", 2L), KV.of("b", 1L));
    LambdaOverrides.apply(p);
    return PipelineTranslator.translate(p, LambdaRunnerOptions.DATA_SIZED_SHUFFLE_PARTITIONS);
  }

  @Test
  public void retriesThrottledAndCrashedAttemptsUntilOneCommits() throws Exception {
    ThrottleThenCrashThenRun invoker = new ThrottleThenCrashThenRun();
    TaskScheduler scheduler = scheduler(invoker, 2);
    scheduler.run(countingPipeline(options));
    assertEquals(invoker.tasks(), invoker.throttled.get());
    assertEquals(invoker.tasks(), invoker.crashed.get());
    assertEquals("every attempt that ran wrote under a prefix of its own", invoker.ran.get(),
        invoker.attemptPrefixes.size());
  }

  @Test
  public void failsATaskThatCrashesOnEveryAttempt() {
    ThrottleThenCrashThenRun invoker = new ThrottleThenCrashThenRun();
    TaskScheduler scheduler = scheduler(invoker, 1);
    TaskFailedException e = assertThrows(TaskFailedException.class, () -> scheduler.run(countingPipeline(options)));
    assertThat(e.getMessage(), containsString("failed after 1 attempt(s)"));
    assertThat(e.getMessage(), containsString("Runtime.ExitError"));
  }

  @Test
  public void givesUpATaskThrottledUpToTheLimitWithoutAnotherAttempt() {
    Map<String, AtomicInteger> callsPerTask = new ConcurrentHashMap<>();
    TaskInvoker alwaysThrottled = new TaskInvoker() {
      @Override
      public Outcome invoke(byte[] requestJson) {
        callsPerTask.computeIfAbsent(InvocationPayloads.Request.fromJson(requestJson).task(), t -> new AtomicInteger())
            .incrementAndGet();
        return new Outcome.Throttled("Rate Exceeded.");
      }

      @Override
      public void close() {}
    };
    // No wait between calls: the test is about the limit, not the backoff.
    TaskScheduler scheduler = scheduler(alwaysThrottled, 2, Duration.ZERO);
    TaskFailedException e = assertThrows(TaskFailedException.class, () -> scheduler.run(countingPipeline(options)));
    assertThat(e.getMessage(),
        containsString("throttled " + ThrottlePolicy.MAX_THROTTLES + " times in a row, gave up"));
    assertEquals("calls of the task that failed: its first attempt's, none of a second", ThrottlePolicy.MAX_THROTTLES,
        callsPerTask.values().stream().mapToInt(AtomicInteger::get).max().getAsInt());
  }

  /** Per task descriptor: a 429, then a crashed environment, then the real worker handler. */
  private static final class ThrottleThenCrashThenRun implements TaskInvoker {
    final AtomicInteger throttled = new AtomicInteger();
    final AtomicInteger crashed = new AtomicInteger();
    final AtomicInteger ran = new AtomicInteger();
    final Set<String> attemptPrefixes = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    int tasks() {
      return calls.size();
    }

    @Override
    public Outcome invoke(byte[] requestJson) {
      String request = new String(requestJson, java.nio.charset.StandardCharsets.UTF_8);
      String task = request.replaceAll(".*\"task\":\"([^\"]+)\".*", "$1");
      int call = calls.computeIfAbsent(task, t -> new AtomicInteger()).incrementAndGet();
      attemptPrefixes.add(InvocationPayloads.Request.fromJson(requestJson).attemptPrefix());
      if (call == 1) {
        throttled.incrementAndGet();
        return new Outcome.Throttled("Rate Exceeded.");
      }
      ran.incrementAndGet();
      if (call == 2) {
        crashed.incrementAndGet();
        return new Outcome.Failed("Runtime.ExitError", "the environment exited");
      }
      try {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new WorkerHandler().handleRequest(new ByteArrayInputStream(requestJson), out, null);
        return new Outcome.Answered(out.toByteArray());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() {}
  }
}
