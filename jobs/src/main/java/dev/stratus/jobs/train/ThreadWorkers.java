package dev.stratus.jobs.train;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/** Worker generations as threads of this JVM: the DirectRunner's default. */
public final class ThreadWorkers implements WorkerLauncher {
  private final ExecutorService threads =
      Executors.newCachedThreadPool(
          r -> {
            Thread thread = new Thread(r, "sgd-worker");
            thread.setDaemon(true);
            return thread;
          });
  private final int memoryMb;
  private final ComputeClock clock;
  /** Generations running now, which share this JVM's heap. */
  private final AtomicInteger running = new AtomicInteger();

  /** @param memoryMb the memory each worker may count on for prefetching, as far as the heap's share holds it */
  public ThreadWorkers(int memoryMb) {
    this(memoryMb, ComputeClock.THREAD);
  }

  /**
   * Workers whose gradients (an {@link Solver#LBFGS} pass's, an SGD minibatch's) {@code clock} computes: a service
   * simulated for a test charges them as a core of each worker's own would.
   */
  public ThreadWorkers(int memoryMb, ComputeClock clock) {
    this.memoryMb = memoryMb;
    this.clock = clock;
  }

  @Override
  public Running launch(WorkerTask task, int memoryMb) {
    CompletableFuture<WorkerTask.WorkerOutcome> outcome = new CompletableFuture<>();
    long lifetime = (long) (task.spec().workerLifetimeSeconds() * 1000);
    // its share of the heap with those running now: 64 workers each prefetching a quarter of 512 MB ran a 2 GB heap out
    int memory = (int) (memoryPerWorker(running.incrementAndGet(), memoryMb) >> 20);
    // once, however it ends: returned, failed, or killed (also before its thread began)
    outcome.whenComplete((done, failure) -> running.decrementAndGet());
    Future<?> thread =
        threads.submit(
            () -> {
              try {
                outcome.complete(task.run(lifetime, memory, () -> Thread.currentThread().isInterrupted(), clock));
              } catch (Throwable t) {
                outcome.completeExceptionally(t);
              }
            });
    return new Running(
        outcome,
        () -> {
          thread.cancel(true);
          outcome.completeExceptionally(new IllegalStateException("worker thread killed"));
        });
  }

  /** This machine's cores, unless a simulated service's clock gives every worker a core of its own. */
  @Override
  public int mostComputingAtOnce() {
    return clock == ComputeClock.THREAD ? Runtime.getRuntime().availableProcessors() : Integer.MAX_VALUE;
  }

  /** The one size these workers were made with. */
  @Override
  public List<Integer> memorySizesMb() {
    return List.of(memoryMb);
  }

  /** What {@code memoryMb} says, as far as this JVM's heap, which every thread shares, holds it. */
  @Override
  public long memoryPerWorker(int workers, int memoryMb) {
    return Math.min((long) memoryMb << 20, Runtime.getRuntime().maxMemory() / Math.max(1, workers));
  }

  @Override
  public void close() {
    threads.shutdownNow();
  }
}
