package dev.stratus.ps.client;

import dev.stratus.ps.PsException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The future of one client call that may span several shards: it completes with {@link #value} once every slice
 * has been answered, or fails with the first slice's error.
 */
final class Gather<T> {
  final CompletableFuture<T> future = new ReadingFuture();
  private final List<ShardConnection.Call> calls = new ArrayList<>(2);
  private final AtomicInteger remaining;
  private volatile T value;

  Gather(T value, int slices) {
    this.value = value;
    this.remaining = new AtomicInteger(slices);
    if (slices == 0) {
      future.complete(value);
    }
  }

  /**
   * Records a request sent for this call: by the thread making the call, or, for a slice whose shard was being
   * redialled, by the redialling thread once it sends it, perhaps while the caller already waits.
   */
  void add(ShardConnection.Call call) {
    synchronized (calls) {
      calls.add(call);
    }
  }

  /**
   * Waits for every slice by reading its connection's replies on this thread; a slice sent meanwhile by a redial is
   * read too if it is recorded before the last one is answered, else its connection's reader completes it.
   */
  private void awaitByReading() {
    for (int i = 0; !future.isDone(); i++) {
      ShardConnection.Call call;
      synchronized (calls) { // never held while reading: a redial's add must not wait for a reply
        if (i >= calls.size()) {
          return;
        }
        call = calls.get(i);
      }
      if (!call.done) {
        call.connection.awaitByReading(call);
      }
    }
  }

  /** A future whose untimed get() and join() read the replies themselves instead of waiting to be woken. */
  private final class ReadingFuture extends CompletableFuture<T> {
    @Override
    public T get() throws InterruptedException, ExecutionException {
      awaitByReading();
      return super.get();
    }

    @Override
    public T join() {
      awaitByReading();
      return super.join();
    }
  }

  /** Sets the value the future completes with, for a reply that is the value itself (others fill in theirs). */
  void set(T value) {
    this.value = value;
  }

  void sliceDone() {
    if (remaining.decrementAndGet() == 0) {
      future.complete(value);
    }
  }

  /**
   * The gathered value mapped by {@code f}; unlike {@code thenApply}, a failure passes through unwrapped, so callers
   * see the {@link PsException} itself.
   */
  <R> CompletableFuture<R> map(Function<T, R> f) {
    CompletableFuture<R> result = new CompletableFuture<>();
    future.whenComplete((v, error) -> {
      if (error != null) {
        result.completeExceptionally(error);
      } else {
        try {
          result.complete(f.apply(v));
        } catch (RuntimeException e) {
          result.completeExceptionally(e);
        }
      }
    });
    return result;
  }

  void fail(Throwable error) {
    future.completeExceptionally(error);
  }
}
