package dev.stratus.dsl;

import dev.stratus.jobs.train.WorkerLauncher;
import dev.stratus.jobs.train.WorkerMessages;
import dev.stratus.jobs.train.WorkerTask;
import dev.stratus.spi.WorkerFailedException;
import dev.stratus.spi.Workers;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Worker generations as invocations of the runner's worker function, each running {@link SgdEntryPoint}: how training
 * and searches launch workers on LambdaRunner.
 */
final class InvocationWorkers implements WorkerLauncher {
  private final Workers workers;

  InvocationWorkers(Workers workers) {
    this.workers = workers;
  }

  /**
   * A kill stops waiting for the invocation, and abandons it where the service still throttles it; the generation is
   * refused while the service throttles its call.
   */
  @Override
  public Running launch(WorkerTask task, int memoryMb) {
    CompletableFuture<byte[]> invocation =
        workers.atMemory(memoryMb).invoke(SgdEntryPoint.NAME, WorkerMessages.task(task));
    CompletableFuture<WorkerTask.WorkerOutcome> outcome = invocation.thenApply(WorkerMessages::outcome);
    return new Running(outcome, () -> {
      outcome.completeExceptionally(new WorkerFailedException("Abandoned", "the driver gave up on this invocation"));
      invocation.cancel(false);
    }, () -> workers.refusedNow(invocation));
  }

  /**
   * This machine's cores where the worker function runs on it (a local Lambda service, whose environments share them),
   * else no bound of the launcher's own: Lambda gives each environment its share of a core.
   */
  @Override
  public int mostComputingAtOnce() {
    return workers.onThisMachine() ? Runtime.getRuntime().availableProcessors() : Integer.MAX_VALUE;
  }

  /** The worker function's and its variants' ({@code --workerMemorySizesMb}). */
  @Override
  public List<Integer> memorySizesMb() {
    return workers.memorySizesMb();
  }

  /** Each environment's memory. */
  @Override
  public long memoryPerWorker(int count, int memoryMb) {
    return (long) memoryMb << 20;
  }

  /** On AWS Lambda, where an environment's CPU grows with its memory. */
  @Override
  public boolean cpuGrowsWithMemory() {
    return workers.cpuGrowsWithMemory();
  }

  /** Nothing to end: a Lambda invocation cannot be cancelled; every worker returns once the job's stop is set. */
  @Override
  public void close() {}
}
