package dev.stratus.jobs.train;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Worker generations of another launcher under a simulated Lambda account's concurrency, which every launcher given
 * the same {@code permits} shares (a search's experiments, say): a generation launched while all permits are held is
 * refused, as the Lambda service throttles an invocation, and starts once one is given back, as a throttled call is
 * tried again; a generation gives its permit back when it ends.
 */
public final class CappedWorkers extends ForwardingLauncher {
  private final Semaphore permits;
  /** The calls not started yet: each waits on a thread of its own for a permit. */
  private final Set<Thread> calls = ConcurrentHashMap.newKeySet();

  public CappedWorkers(Semaphore permits, WorkerLauncher generations) {
    super(generations);
    this.permits = permits;
  }

  @Override
  public Running launch(WorkerTask task, int memoryMb) {
    CompletableFuture<WorkerTask.WorkerOutcome> outcome = new CompletableFuture<>();
    AtomicBoolean refused = new AtomicBoolean();
    AtomicReference<Running> started = new AtomicReference<>();
    Thread call = new Thread(() -> {
      try {
        if (!permits.tryAcquire()) {
          refused.set(true);
          permits.acquire();
          refused.set(false);
        }
        if (outcome.isDone()) {
          permits.release(); // killed while refused: never started
          return;
        }
        start(task, memoryMb, outcome, started);
      } catch (InterruptedException killedOrClosedWhileRefused) {
        outcome.completeExceptionally(killedOrClosedWhileRefused);
      } finally {
        calls.remove(Thread.currentThread());
      }
    }, "capped-worker-call");
    call.setDaemon(true);
    calls.add(call);
    call.start();
    return new Running(outcome, () -> {
      outcome.completeExceptionally(new IllegalStateException("worker killed"));
      call.interrupt();
      Running running = started.get();
      if (running != null) {
        running.kill().run();
      }
    }, refused::get);
  }

  /** Starts {@code task} on a permit held, which its end gives back, and passes its outcome on. */
  private void start(WorkerTask task, int memoryMb, CompletableFuture<WorkerTask.WorkerOutcome> outcome,
      AtomicReference<Running> started) {
    Running running;
    try {
      running = launcher.launch(task, memoryMb);
    } catch (Exception e) {
      permits.release();
      outcome.completeExceptionally(e);
      return;
    }
    started.set(running);
    if (outcome.isDone()) {
      running.kill().run(); // killed while it was being started
    }
    running.outcome().whenComplete((done, failure) -> {
      permits.release();
      if (failure == null) {
        outcome.complete(done);
      } else {
        outcome.completeExceptionally(failure);
      }
    });
  }

  /** Abandons the calls still refused, and ends the generations running. */
  @Override
  public void close() {
    calls.forEach(Thread::interrupt);
    launcher.close();
  }
}
