package dev.stratus.jobs.train;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A service whose environments each have a core of their own: generations run as threads of this JVM, and a
 * gradient pass takes its real computing's CPU time and {@code secondsPerRow} a row more, as a core of its own would:
 * it sleeps for what that adds up to beyond what the real computing took on this machine's shared cores, and its
 * clock counts it all as CPU time.
 */
public final class OwnCoreWorkers implements WorkerLauncher {
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread thread = new Thread(r, "own-core-worker");
    thread.setDaemon(true);
    return thread;
  });
  private final ComputeClock clock;

  /** @param secondsPerRow what a row's gradient takes on a core beyond what it takes here */
  public OwnCoreWorkers(double secondsPerRow) {
    clock = (rows, gradient) -> {
      ComputeClock.Took real = ComputeClock.THREAD.time(rows, gradient);
      double onItsOwnCore = real.cpuSeconds() + rows * secondsPerRow;
      try {
        TimeUnit.NANOSECONDS.sleep((long) (Math.max(0, onItsOwnCore - real.wallSeconds()) * 1e9));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return new ComputeClock.Took(real.value(), onItsOwnCore, onItsOwnCore);
    };
  }

  @Override
  public Running launch(WorkerTask task) {
    CompletableFuture<WorkerTask.WorkerOutcome> outcome = new CompletableFuture<>();
    Future<?> thread = threads.submit(() -> {
      try {
        outcome.complete(task.run(600_000, 512, () -> Thread.currentThread().isInterrupted(), clock));
      } catch (Throwable t) {
        outcome.completeExceptionally(t);
      }
    });
    return new Running(outcome, () -> {
      thread.cancel(true);
      outcome.completeExceptionally(new IllegalStateException("worker killed"));
    });
  }

  @Override
  public long memoryPerWorker(int workers) {
    return 512L << 20;
  }

  @Override
  public void close() {
    threads.shutdownNow();
  }
}
