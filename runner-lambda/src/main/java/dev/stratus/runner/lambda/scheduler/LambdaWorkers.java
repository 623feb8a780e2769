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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
  /** The calls whose last attempt the service throttled, waiting to be tried again. */
  private final Set<CompletableFuture<byte[]>> refused = ConcurrentHashMap.newKeySet();

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
        answer.complete(call(json, answer));
      } catch (Throwable failed) {
        answer.completeExceptionally(failed);
      } finally {
        refused.remove(answer);
      }
    });
    return answer;
  }

  @Override
  public boolean refusedNow(CompletableFuture<byte[]> call) {
    return refused.contains(call);
  }

  private byte[] call(byte[] json, CompletableFuture<byte[]> answer) {
    TaskInvoker.Outcome outcome;
    try {
      outcome = throttling.invoke(request -> attempt(request, answer), json, answer::isDone);
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

  /**
   * One attempt of the call whose answer is {@code answer}: from the service's first refusal until an attempt it does
   * not refuse, the call is counted as refused, the attempts in between included (each may be refused again).
   */
  private TaskInvoker.Outcome attempt(byte[] request, CompletableFuture<byte[]> answer) {
    TaskInvoker.Outcome outcome = invoker.invoke(request);
    if (outcome instanceof TaskInvoker.Outcome.Throttled) {
      refused.add(answer);
    } else {
      refused.remove(answer);
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
