package dev.stratus.runner.lambda.scheduler;

import dev.stratus.jvm.DaemonThreadFactory;
import dev.stratus.runner.lambda.message.InvocationPayloads;
import dev.stratus.spi.WorkerFailedException;
import dev.stratus.spi.Workers;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * The worker function as an in-driver executor sees it: each call one synchronous invocation on a thread of its own
 * (a worker may run for minutes), throttled calls repeated as the {@link ThrottlePolicy} says.
 */
final class LambdaWorkers implements Workers, AutoCloseable {
  private final TaskInvoker invoker;
  private final ThrottlePolicy throttling;
  private final int timeoutSeconds;
  private final int memoryMb;
  private final boolean onThisMachine;
  private final String location;
  private final ExecutorService threads = Executors.newCachedThreadPool(new DaemonThreadFactory("lambda-runner-worker"));
  private final AtomicLong invocations = new AtomicLong();
  private final AtomicLong throttles = new AtomicLong();

  LambdaWorkers(TaskInvoker invoker, ThrottlePolicy throttling, int timeoutSeconds, int memoryMb,
      boolean onThisMachine, String location) {
    this.invoker = invoker;
    this.throttling = throttling;
    this.timeoutSeconds = timeoutSeconds;
    this.memoryMb = memoryMb;
    this.onThisMachine = onThisMachine;
    this.location = location;
  }

  /**
   * {@inheritDoc} Cancelling the answer abandons a call the service keeps throttling: it is not tried again (one that
   * runs, runs to its end).
   */
  @Override
  public CompletableFuture<byte[]> invoke(String entryPoint, byte[] request) {
    byte[] json = new InvocationPayloads.EntryPointCall(entryPoint, request).toJson();
    CompletableFuture<byte[]> answer = new CompletableFuture<>();
    threads.execute(() -> {
      try {
        answer.complete(call(json, answer::isDone));
      } catch (Throwable failed) {
        answer.completeExceptionally(failed);
      }
    });
    return answer;
  }

  private byte[] call(byte[] json, BooleanSupplier abandoned) {
    TaskInvoker.Outcome outcome;
    try {
      outcome = throttling.invoke(request -> counted(invoker.invoke(request)), json, abandoned);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CompletionException(e);
    }
    if (outcome instanceof TaskInvoker.Outcome.Throttled gaveUp) {
      throw new WorkerFailedException("TooManyRequestsException", gaveUp.message());
    }
    invocations.incrementAndGet();
    if (outcome instanceof TaskInvoker.Outcome.Answered answered) {
      return InvocationPayloads.answerFromJson(answered.responseJson());
    }
    TaskInvoker.Outcome.Failed failed = (TaskInvoker.Outcome.Failed) outcome;
    throw new WorkerFailedException(failed.errorType(), failed.message());
  }

  private TaskInvoker.Outcome counted(TaskInvoker.Outcome outcome) {
    if (outcome instanceof TaskInvoker.Outcome.Throttled) {
      throttles.incrementAndGet();
    }
    return outcome;
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
  public long throttles() {
    return throttles.get();
  }

  @Override
  public boolean onThisMachine() {
    return onThisMachine;
  }

  @Override
  public String location() {
    return location;
  }

  @Override
  public void close() {
    threads.shutdownNow();
  }
}
