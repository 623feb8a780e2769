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
  private final Pool pool;
  /** Invokes the function, or the variant of {@link #memoryMb}. */
  private final TaskInvoker invoker;
  private final int memoryMb;

  /**
   * What the function and its views at other sizes share.
   *
   * @param refused the calls whose last attempt the service throttled, waiting to be tried again
   * @param variants the views at sizes other than the function's own, made as first asked for
   */
  private record Pool(
      LambdaWorkers function,
      ThrottlePolicy throttling,
      String functionName,
      int timeoutSeconds,
      List<Integer> memorySizesMb,
      boolean cpuGrowsWithMemory,
      boolean onThisMachine,
      String location,
      ExecutorService threads,
      AtomicLong invocations,
      Set<CompletableFuture<byte[]>> refused,
      Map<Integer, LambdaWorkers> variants) {}

  /**
   * @param invoker invokes function {@code functionName}
   * @param moreMemorySizesMb sizes, besides {@code memoryMb}, the function is offered at as variant functions
   */
  LambdaWorkers(TaskInvoker invoker, ThrottlePolicy throttling, String functionName, int timeoutSeconds, int memoryMb,
      List<Integer> moreMemorySizesMb, boolean cpuGrowsWithMemory, boolean onThisMachine, String location) {
    this.pool = new Pool(this, throttling, functionName, timeoutSeconds,
        Stream.concat(Stream.of(memoryMb), moreMemorySizesMb.stream()).distinct().sorted().toList(),
        cpuGrowsWithMemory, onThisMachine, location,
        Executors.newCachedThreadPool(new DaemonThreadFactory("lambda-runner-worker")), new AtomicLong(),
        ConcurrentHashMap.newKeySet(), new ConcurrentHashMap<>());
    this.invoker = invoker;
    this.memoryMb = memoryMb;
  }

  /** The view at {@code memoryMb} of {@code pool}'s function, whose calls go to {@code invoker}. */
  private LambdaWorkers(Pool pool, TaskInvoker invoker, int memoryMb) {
    this.pool = pool;
    this.invoker = invoker;
    this.memoryMb = memoryMb;
  }

  /**
   * {@inheritDoc} Cancelling the answer abandons a call the service keeps throttling: it is not tried again (one that
   * runs, runs to its end).
   */
  @Override
  public CompletableFuture<byte[]> invoke(String entryPoint, byte[] request) {
    byte[] json = new InvocationPayloads.EntryPointCall(entryPoint, request).toJson();
    CompletableFuture<byte[]> answer = new CompletableFuture<>();
    pool.threads().execute(() -> {
      try {
        answer.complete(call(json, answer));
      } catch (Throwable failed) {
        answer.completeExceptionally(failed);
      } finally {
        pool.refused().remove(answer);
      }
    });
    return answer;
  }

  @Override
  public boolean refusedNow(CompletableFuture<byte[]> call) {
    return pool.refused().contains(call);
  }

  private byte[] call(byte[] json, CompletableFuture<byte[]> answer) {
    TaskInvoker.Outcome outcome;
    try {
      outcome = pool.throttling().invoke(request -> attempt(request, answer), json, answer::isDone);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CompletionException(e);
    }
    if (outcome instanceof TaskInvoker.Outcome.Throttled gaveUp) {
      throw new WorkerFailedException("TooManyRequestsException", gaveUp.message());
    }
    pool.invocations().incrementAndGet();
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
      pool.refused().add(answer);
    } else {
      pool.refused().remove(answer);
    }
    return outcome;
  }

  @Override
  public int timeoutSeconds() {
    return pool.timeoutSeconds();
  }

  @Override
  public int memoryMb() {
    return memoryMb;
  }

  @Override
  public List<Integer> memorySizesMb() {
    return pool.memorySizesMb();
  }

  /** {@inheritDoc} At a size other than the function's own, the calls go to its variant function of that size. */
  @Override
  public Workers atMemory(int sizeMb) {
    if (!pool.memorySizesMb().contains(sizeMb)) {
      throw new IllegalArgumentException("the worker function is offered at " + pool.memorySizesMb() + " MB, not at "
          + sizeMb + " MB: --workerMemorySizesMb adds sizes");
    }
    LambdaWorkers function = pool.function();
    if (sizeMb == function.memoryMb) {
      return function;
    }
    return pool.variants().computeIfAbsent(sizeMb, mb -> new LambdaWorkers(pool,
        function.invoker.forFunction(WorkerFunction.nameAt(pool.functionName(), mb)), mb));
  }

  @Override
  public boolean cpuGrowsWithMemory() {
    return pool.cpuGrowsWithMemory();
  }

  @Override
  public long invocations() {
    return pool.invocations().get();
  }

  @Override
  public boolean onThisMachine() {
    return pool.onThisMachine();
  }

  @Override
  public String location() {
    return pool.location();
  }

  /**
   * Stops the threads this and its views at other memory sizes share. The invoker stays open: it is its creator's to
   * close, and the views' invokers share its connection.
   */
  @Override
  public void close() {
    pool.threads().shutdownNow();
  }
}
