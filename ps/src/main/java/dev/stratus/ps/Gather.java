package dev.stratus.ps;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The future of one client call that may span several shards: it completes with {@link #value} once every slice
 * has been answered, or fails with the first slice's error.
 */
final class Gather<T> {
  final CompletableFuture<T> future = new CompletableFuture<>();
  private final AtomicInteger remaining;
  volatile T value;

  Gather(T value, int slices) {
    this.value = value;
    this.remaining = new AtomicInteger(slices);
    if (slices == 0) {
      future.complete(value);
    }
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
