package dev.stratus.topology;

import java.io.InterruptedIOException;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits until an instant of {@link System#nanoTime()} to within a few microseconds, for delays of a hundred
 * microseconds. Parking alone overshoots by Linux's timer slack and the wake-up (about 85 µs on the machines this was
 * measured on), so it parks until a margin before the instant and spins the rest; the margin follows the overshoot it
 * sees. The spin yields: on a machine of few cores the threads at the ends of the link need them (yielding rather than
 * busy-waiting took the round trip through a 150 µs-each-way proxy from 375-400 µs to 350-360 µs on two cores). One
 * per thread: it is not thread-safe.
 */
final class PreciseWait {
  private static final long INITIAL_MARGIN_NANOS = 100_000;
  /** Added to the mean overshoot, for its spread. */
  private static final long SPREAD_NANOS = 20_000;
  /** An overloaded machine overshoots by milliseconds; spinning that long would only load it more. */
  private static final long MAX_MARGIN_NANOS = 1_000_000;

  private long marginNanos = INITIAL_MARGIN_NANOS;

  void until(long deadlineNanos) throws InterruptedIOException {
    for (long left; (left = deadlineNanos - System.nanoTime()) > 0; ) {
      if (left <= marginNanos) {
        Thread.yield();
        continue;
      }
      long asked = left - marginNanos;
      long parked = System.nanoTime();
      LockSupport.parkNanos(asked);
      long overshoot = Math.max(0, System.nanoTime() - parked - asked);
      marginNanos = Math.min(MAX_MARGIN_NANOS, marginNanos + (overshoot + SPREAD_NANOS - marginNanos) / 8);
      if (Thread.interrupted()) {
        throw new InterruptedIOException("interrupted while holding data back");
      }
    }
  }
}
