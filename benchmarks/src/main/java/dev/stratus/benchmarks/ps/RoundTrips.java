package dev.stratus.benchmarks.ps;

import java.util.Arrays;
import java.util.stream.LongStream;

/** One client's measured pull and push latencies, in nanoseconds, iteration by iteration; growing as it records. */
final class RoundTrips {
  private long[] pulls;
  private long[] pushes;
  private int count;

  RoundTrips(int capacity) {
    pulls = new long[capacity];
    pushes = new long[capacity];
  }

  void add(long pullNanos, long pushNanos) {
    if (count == pulls.length) {
      pulls = Arrays.copyOf(pulls, count * 2);
      pushes = Arrays.copyOf(pushes, count * 2);
    }
    pulls[count] = pullNanos;
    pushes[count] = pushNanos;
    count++;
  }

  /** Iterations recorded. */
  int count() {
    return count;
  }

  LongStream pulls() {
    return Arrays.stream(pulls, 0, count);
  }

  LongStream pushes() {
    return Arrays.stream(pushes, 0, count);
  }
}
