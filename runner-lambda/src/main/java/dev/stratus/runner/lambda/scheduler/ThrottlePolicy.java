package dev.stratus.runner.lambda.scheduler;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * How the driver waits out Lambda's throttling (429: the service refused the call and nothing ran), for a task's
 * attempt and for an in-driver executor's worker alike, since both are one invocation of the worker function: the
 * call is repeated after a wait that doubles up to a cap, and given up after {@link #MAX_THROTTLES} throttles in a row.
 */
final class ThrottlePolicy {
  /**
   * Lambda throttles while the account's concurrency (or the function's reserved concurrency) is used up, and a slot
   * frees only when a running invocation ends, which may take up to Lambda's limit of 15 minutes; a fan-out wider than
   * the concurrency waits for several such rounds. At the default backoff (200 ms, capped at 6.4 s) this is about 1.8
   * hours of waiting: past several rounds of the longest invocations, yet a function that can never run (reserved
   * concurrency 0) still fails the run.
   */
  static final int MAX_THROTTLES = 1_000;

  /** The wait doubles this many times at most: up to 32 times the first. */
  private static final int MAX_DOUBLINGS = 5;

  private final Duration backoff;

  /** @param backoff the wait after the first throttle */
  ThrottlePolicy(Duration backoff) {
    this.backoff = backoff;
  }

  /**
   * Invokes until the service takes the call, or until {@code abandoned} holds (its caller no longer wants it). Returns
   * the first outcome that is not a throttle or, after {@link #MAX_THROTTLES} throttles or once abandoned, one whose
   * message says that the driver gave up.
   */
  TaskInvoker.Outcome invoke(Function<byte[], TaskInvoker.Outcome> call, byte[] request, BooleanSupplier abandoned)
      throws InterruptedException {
    for (int throttles = 1; ; throttles++) {
      TaskInvoker.Outcome outcome = call.apply(request);
      if (!(outcome instanceof TaskInvoker.Outcome.Throttled throttled)) {
        return outcome;
      }
      if (throttles < MAX_THROTTLES) {
        Thread.sleep(waitAfter(throttles).toMillis());
      }
      if (throttles == MAX_THROTTLES || abandoned.getAsBoolean()) {
        return new TaskInvoker.Outcome.Throttled("throttled " + throttles + " times in a row, gave up"
            + (throttles < MAX_THROTTLES ? " as its caller abandoned it" : "") + " (Lambda throttles invocations"
            + " above the account's or the function's concurrency limit): " + throttled.message());
      }
    }
  }

  /** The wait after the {@code throttles}-th throttle in a row. */
  Duration waitAfter(int throttles) {
    return backoff.multipliedBy(1L << Math.min(throttles - 1, MAX_DOUBLINGS));
  }
}
