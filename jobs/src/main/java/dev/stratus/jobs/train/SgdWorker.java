package dev.stratus.jobs.train;

import dev.stratus.kernels.iterate.MinibatchIterator;
import dev.stratus.kernels.sgd.Minibatch;
import dev.stratus.kernels.sgd.Objective;
import dev.stratus.ps.ConnectionLostException;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * One worker of asynchronous SGD: for each minibatch, pull the model rows it touches, compute the gradient, push it
 * without waiting for the reply (at most {@code maxPushesInFlight} outstanding), and go on.
 *
 * <p>A worker holds no state the job needs: it can be stopped between any two iterations and a new one started at
 * its {@link #position()}, which is how a Lambda worker nearing its time limit hands over to the next generation.
 *
 * <p>A shard that dies and comes back (its connection lost, then redialled by the client) costs the worker the
 * gradients in flight to it, counted in {@link #lostPushes}, and a pull, which it redoes; only a shard unreachable
 * past the client's reconnect bound, or a call the shard refused, ends the worker.
 */
public final class SgdWorker {
  private final PsClient ps;
  private final PsModel model;
  private final Objective objective;
  private final int columns;
  private final MinibatchIterator batches;
  private final Semaphore pushSlots;
  private final int maxPushesInFlight;
  private final StepTimes times = new StepTimes();
  private final AtomicReference<Throwable> pushFailure = new AtomicReference<>();
  private final LongAdder lostPushes = new LongAdder();
  private final ComputeClock clock;

  /**
   * @param objective what the worker's gradients descend
   * @param clock what computes each minibatch's gradient: this thread ({@link ComputeClock#THREAD}), or a simulated
   *     service's core
   */
  public SgdWorker(PsClient ps, PsModel model, Objective objective, MinibatchIterator batches, int maxPushesInFlight,
      ComputeClock clock) {
    this.ps = ps;
    this.clock = clock;
    this.model = model;
    this.objective = objective;
    this.columns = objective.columns();
    this.batches = batches;
    this.maxPushesInFlight = maxPushesInFlight;
    this.pushSlots = new Semaphore(maxPushesInFlight);
  }

  /**
   * Iterates until the data ends or {@code stop} says so; returns true if the data ended. Waits for its pushes in
   * flight before returning, so every gradient computed has reached the server.
   */
  public boolean run(BooleanSupplier stop) throws Exception {
    Minibatch batch = new Minibatch();
    float[] gradient = new float[0];
    try {
      while (!stop.getAsBoolean()) {
        long t0 = System.nanoTime();
        if (!batches.next(batch)) {
          return true;
        }
        long t1 = System.nanoTime();
        int[] keys = batch.keys();
        float[] weights;
        try {
          weights = ps.pull(model, keys).get();
        } catch (ExecutionException failed) {
          weights = redoneAfterLostConnection(failed, () -> ps.pull(model, keys));
        }
        long t2 = System.nanoTime();
        int values = keys.length * columns;
        if (gradient.length < values) {
          gradient = new float[values * 2];
        }
        float[] pulled = weights;
        float[] into = gradient;
        clock.run(batch.rows(), () -> objective.gradient(batch, pulled, into));
        long t3 = System.nanoTime();
        pushSlots.acquire();
        rethrowPushFailure();
        float[] sent = java.util.Arrays.copyOf(gradient, values);
        ps.push(model, keys, sent)
            .whenComplete(
                (ok, failure) -> {
                  if (failure instanceof ConnectionLostException) {
                    lostPushes.increment();
                  } else if (failure != null) {
                    pushFailure.compareAndSet(null, failure);
                  }
                  pushSlots.release();
                });
        long t4 = System.nanoTime();
        times.record(t2 - t1, t1 - t0, t3 - t2, t4 - t3);
      }
      return false;
    } finally {
      pushSlots.acquireUninterruptibly(maxPushesInFlight);
      pushSlots.release(maxPushesInFlight);
      rethrowPushFailure();
    }
  }

  private void rethrowPushFailure() throws Exception {
    Throwable failure = pushFailure.get();
    if (failure != null) {
      throw new IllegalStateException("a gradient push failed: " + failure.getMessage(), failure);
    }
  }

  /**
   * The call's result, redone as long as it fails because its connection was lost: the client redials the shard for
   * each attempt, and gives up (a {@link dev.stratus.ps.ShardUnreachableException}) past its bound.
   */
  static <T> T retryingLostConnections(Supplier<CompletableFuture<T>> call) throws Exception {
    try {
      return call.get().get();
    } catch (ExecutionException failed) {
      return redoneAfterLostConnection(failed, call);
    }
  }

  /** {@link #retryingLostConnections} after the call's first attempt {@code failed}: rethrows anything else. */
  private static <T> T redoneAfterLostConnection(ExecutionException failed, Supplier<CompletableFuture<T>> call)
      throws Exception {
    for (ExecutionException last = failed; ; ) {
      if (!(last.getCause() instanceof ConnectionLostException)) {
        throw last;
      }
      try {
        return call.get().get();
      } catch (ExecutionException again) {
        last = again;
      }
    }
  }

  /** Gradients lost in flight to a shard whose connection was lost. */
  public long lostPushes() {
    return lostPushes.sum();
  }

  /** Where a successor should start. */
  public MinibatchIterator.Position position() {
    return batches.position();
  }

  public StepTimes times() {
    return times;
  }

  public long stallNanos() {
    return batches.stallNanos();
  }
}
