package dev.stratus.runner.lambda.worker;

import dev.stratus.jvm.DaemonThreadFactory;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where a task attempt writes its objects, fenced by the task's descriptor: the descriptor exists while the task is
 * open, and the driver deletes it when it commits an attempt of the task or when the job ends. An attempt that finds
 * it gone after its writes is late (the driver gave up on it and committed another, or the job is over): it takes the
 * writes back and stops. Checking after the writes leaves no gap: the driver deletes the descriptor before it sweeps
 * the uncommitted attempts' objects, so each write lands either before the sweep, which deletes it, or after the
 * descriptor is gone, which the check sees.
 *
 * <p>The writes go out several at once and the descriptor is checked once, after the last ({@link #finish}): a
 * task of a shuffle writes a part per partition, and each write and check one after the other cost two of the store's
 * round trips a part (on loopback 7 ms each; on S3 tens of milliseconds).
 */
final class AttemptOutput {
  /** Writes in flight at once, for every attempt of this JVM: {@code -Dstratus.worker.parallelWrites=N}, at least 1. */
  private static final int PARALLEL_WRITES = Math.max(1, Integer.getInteger("stratus.worker.parallelWrites", 8));
  /** Bytes an attempt may have in flight; a write beyond waits for the oldest. */
  private static final long MOST_BYTES_IN_FLIGHT = 64L << 20;
  private static final ExecutorService WRITERS =
      Executors.newFixedThreadPool(PARALLEL_WRITES, new DaemonThreadFactory("stratus-attempt-write"));

  private final ObjectStore store;
  private final S3Path descriptor;
  private final List<S3Path> written = new ArrayList<>();
  private final ArrayDeque<Write> inFlight = new ArrayDeque<>();
  private long bytesInFlight;
  /** Time the writes spent in the store, on the writers' threads. */
  private final LongAdder writingNanos = new LongAdder();
  /** Time the attempt waited for writes. */
  private long waitingNanos;

  private record Write(CompletableFuture<Void> done, long bytes) {}

  AttemptOutput(ObjectStore store, S3Path descriptor) {
    this.store = store;
    this.descriptor = descriptor;
  }

  /** Starts writing {@code data} to {@code path}; {@link #finish} waits for it. */
  void put(S3Path path, byte[] data) {
    while (!inFlight.isEmpty()
        && (inFlight.size() >= PARALLEL_WRITES || bytesInFlight + data.length > MOST_BYTES_IN_FLIGHT)) {
      awaitOldest();
    }
    written.add(path);
    inFlight.add(new Write(CompletableFuture.runAsync(() -> {
      long start = System.nanoTime();
      try {
        store.put(path, data);
      } finally {
        writingNanos.add(System.nanoTime() - start);
      }
    }, WRITERS), data.length));
    bytesInFlight += data.length;
  }

  /**
   * Waits for every write, then checks the fence: a late attempt deletes what it wrote and throws
   * {@link LateAttemptException}. A failed write throws what it threw.
   */
  void finish() {
    while (!inFlight.isEmpty()) {
      awaitOldest();
    }
    if (!written.isEmpty() && !store.exists(descriptor)) {
      written.forEach(store::delete);
      throw new LateAttemptException("task " + descriptor + " was committed by another attempt or its job has ended:"
          + " this late attempt's " + written.size() + " object(s), " + written.get(0) + " the first, were withdrawn");
    }
  }

  /** Waits for the writes still going, whatever they end with: an attempt that failed leaves none landing later. */
  void abandon() {
    for (Write write : inFlight) {
      write.done().exceptionally(failure -> null).join();
    }
    inFlight.clear();
  }

  /**
   * Store time of this attempt's writes that it did not wait for, computing meanwhile: {@link ObjectStore#waitedNanos}
   * counts it on the writers' threads, and a task's store I/O is what it waited.
   */
  long unwaitedStoreNanos() {
    return Math.max(0, writingNanos.sum() - waitingNanos);
  }

  private void awaitOldest() {
    Write oldest = inFlight.poll();
    bytesInFlight -= oldest.bytes();
    long start = System.nanoTime();
    try {
      oldest.done().join();
    } catch (CompletionException e) {
      abandon();
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    } finally {
      waitingNanos += System.nanoTime() - start;
    }
  }

  /** The attempt outlived the task: its output must not remain. */
  static final class LateAttemptException extends IllegalStateException {
    LateAttemptException(String message) {
      super(message);
    }
  }
}
