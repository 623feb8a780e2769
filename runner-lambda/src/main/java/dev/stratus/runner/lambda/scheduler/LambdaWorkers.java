package dev.stratus.runner.lambda.scheduler;

import dev.stratus.jvm.DaemonThreadFactory;
import dev.stratus.runner.lambda.message.InvocationPayloads;
import dev.stratus.spi.WorkerFailedException;
import dev.stratus.spi.Workers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The worker function as an in-driver executor sees it: each call one synchronous invocation on a thread of its own
 * (a worker may run for minutes), throttled calls retried with backoff.
 */
final class LambdaWorkers implements Workers, AutoCloseable {
  private static final int MAX_THROTTLES = 1000;

  private final TaskInvoker invoker;
  private final int timeoutSeconds;
  private final int memoryMb;
  private final Duration backoff;
  private final ExecutorService threads = Executors.newCachedThreadPool(new DaemonThreadFactory("lambda-runner-worker"));
  private final AtomicLong invocations = new AtomicLong();

  LambdaWorkers(TaskInvoker invoker, int timeoutSeconds, int memoryMb, Duration backoff) {
    this.invoker = invoker;
    this.timeoutSeconds = timeoutSeconds;
    this.memoryMb = memoryMb;
    this.backoff = backoff;
  }

  @Override
  public CompletableFuture<byte[]> invoke(String entryPoint, byte[] request) {
    byte[] json = new InvocationPayloads.EntryPointCall(entryPoint, request).toJson();
    return CompletableFuture.supplyAsync(() -> call(json), threads);
  }

  private byte[] call(byte[] json) {
    for (int throttles = 0; ; throttles++) {
      TaskInvoker.Outcome outcome = invoker.invoke(json);
      if (outcome instanceof TaskInvoker.Outcome.Throttled throttled) {
        if (throttles >= MAX_THROTTLES) {
          throw new WorkerFailedException("TooManyRequestsException", "throttled " + throttles + " times: "
              + throttled.message());
        }
        sleep(backoff.toMillis() << Math.min(throttles, 6));
        continue;
      }
      invocations.incrementAndGet();
      if (outcome instanceof TaskInvoker.Outcome.Answered answered) {
        return InvocationPayloads.answerFromJson(answered.responseJson());
      }
      TaskInvoker.Outcome.Failed failed = (TaskInvoker.Outcome.Failed) outcome;
      throw new WorkerFailedException(failed.errorType(), failed.message());
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CompletionException(e);
    }
  }

  @Override
  public int timeoutSeconds() {
    return timeoutSeconds;
  }

  @Override
  public int memoryMb() {
    return memoryMb;
  }

  @Override
  public long invocations() {
    return invocations.get();
  }

  @Override
  public void close() {
    threads.shutdownNow();
  }
}
