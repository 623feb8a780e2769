package dev.stratus.lambda.local;

import java.time.Duration;

/**
 * What happened to one function so far. Invocations and starts count from the moment an invocation gets its
 * environment; errors, timeouts and init time once it has ended.
 *
 * @param invocations invocations given an environment (throttled ones excluded)
 * @param coldStarts invocations that had to start a new environment
 * @param warmStarts invocations served by an idle environment
 * @param errors invocations that ended in a function error, timeouts and crashes included
 * @param timeouts invocations killed at the function's timeout
 * @param throttles invocations refused with 429 at the concurrency cap
 * @param liveEnvironments environments alive now, busy or idle
 * @param totalInitTime summed Init Duration of the cold starts
 * @param totalDuration summed Duration of the ended invocations (the handler's time, as Lambda bills it)
 */
public record FunctionStats(long invocations, long coldStarts, long warmStarts, long errors, long timeouts,
    long throttles, int liveEnvironments, Duration totalInitTime, Duration totalDuration) {

  /** Mean Init Duration of a cold start, or zero before the first. */
  public Duration meanInitTime() {
    return coldStarts == 0 ? Duration.ZERO : totalInitTime.dividedBy(coldStarts);
  }
}
