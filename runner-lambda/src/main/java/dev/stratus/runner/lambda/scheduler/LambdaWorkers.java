package dev.stratus.runner.lambda.scheduler;

import dev.stratus.jvm.DaemonThreadFactory;
import dev.stratus.runner.lambda.message.InvocationPayloads;
import dev.stratus.runner.lambda.message.WorkerFunction;
import dev.stratus.spi.WorkerFailedException;
import dev.stratus.spi.Workers;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The worker function as an in-driver executor sees it: each call one synchronous invocation on a thread of its own
 * (a worker may run for minutes), throttled calls repeated as the {@link ThrottlePolicy} says. {@link #atMemory}
 * gives views that invoke the function's variants at other memory sizes ({@link WorkerFunction#nameAt}); they share
 * its threads, its count of invocations and its refused calls, so the executor sees one pool of workers.
 */
final class LambdaWorkers implements Workers, AutoCloseable {
  /** The worker function at its own memory, of which this is a view (or which this is). */
  private final LambdaWorkers function;
  private final TaskInvoker invoker;
  private final int memoryMb;
  private final ThrottlePolicy throttling;
  private final String functionName;
  private final int timeoutSeconds;
  private final List<Integer> memorySizesMb;
  private final boolean cpuGrowsWithMemory;
  private final boolean onThisMachine;
  private final String location;
  private final ExecutorService threads;
  private final AtomicLong invocations;
  /** The calls whose last attempt the service throttled, waiting to be tried again. */
  private final Set<CompletableFuture<byte[]>> refused;
  /** The views at memory sizes other than the function's own, made as first asked for. */
  private final Map<Integer, LambdaWorkers> variants;

  /**
   * @param invoker invokes function {@code functionName}
   * @param moreMemorySizesMb sizes, besides {@code memoryMb}, the function is offered at as variant functions
   */
  LambdaWorkers(TaskInvoker invoker, ThrottlePolicy throttling, String functionName, int timeoutSeconds, int memoryMb,
      List<Integer> moreMemorySizesMb, boolean cpuGrowsWithMemory, boolean onThisMachine, String location) {
    this.function = this;
    this.invoker = invoker;
    this.memoryMb = memoryMb;
    this.throttling = throttling;
    this.functionName = functionName;
    this.timeoutSeconds = timeoutSeconds;
    this.memorySizesMb = Stream.concat(Stream.of(memoryMb), moreMemorySizesMb.stream()).distinct().sorted().toList();
    this.cpuGrowsWithMemory = cpuGrowsWithMemory;
    this.onThisMachine = onThisMachine;
    this.location = location;
    this.threads = Executors.newCachedThreadPool(new DaemonThreadFactory("lambda-runner-worker"));
    this.invocations = new AtomicLong();
    this.refused = ConcurrentHashMap.newKeySet();
    this.variants = new ConcurrentHashMap<>();
  }

  /** {@code function}'s view at {@code memoryMb}, whose calls go to {@code invoker}. */
  private LambdaWorkers(LambdaWorkers function, TaskInvoker invoker, int memoryMb) {
    this.function = function;
    this.invoker = invoker;
    this.memoryMb = memoryMb;
    this.throttling = function.throttling;
    this.functionName = function.functionName;
    this.timeoutSeconds = function.timeoutSeconds;
    this.memorySizesMb = function.memorySizesMb;
    this.cpuGrowsWithMemory = function.cpuGrowsWithMemory;
    this.onThisMachine = function.onThisMachine;
    this.location = function.location;
    this.threads = function.threads;
    this.invocations = function.invocations;
    this.refused = function.refused;
    this.variants = function.variants;
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
  public List<Integer> memorySizesMb() {
    return memorySizesMb;
  }

  /** {@inheritDoc} At a size other than the function's own, the calls go to its variant function of that size. */
  @Override
  public Workers atMemory(int sizeMb) {
    if (!memorySizesMb.contains(sizeMb)) {
      throw new IllegalArgumentException("the worker function is offered at " + memorySizesMb + " MB, not at " + sizeMb
          + " MB: --workerMemorySizesMb adds sizes");
    }
    if (sizeMb == function.memoryMb) {
      return function;
    }
    return variants.computeIfAbsent(sizeMb,
        mb -> new LambdaWorkers(function, function.invoker.forFunction(WorkerFunction.nameAt(functionName, mb)), mb));
  }

  @Override
  public boolean cpuGrowsWithMemory() {
    return cpuGrowsWithMemory;
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

  /**
   * Stops the threads this and its views at other memory sizes share. The invoker stays open: it is its creator's to
   * close, and the views' invokers share its connection.
   */
  @Override
  public void close() {
    threads.shutdownNow();
  }
}
