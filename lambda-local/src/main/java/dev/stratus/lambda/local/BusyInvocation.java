package dev.stratus.lambda.local;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * An invocation that an environment is running, as {@link LocalLambdaService#busyInvocations} found it: what an
 * operator, or a fault-injection test, looks at to tell what each environment is doing and whether to kill it.
 */
public final class BusyInvocation {
  private final long pid;
  private final String requestId;
  private final byte[] payload;
  private final Instant startedAt;
  private final EnvironmentLog log;
  private final long logStart;

  BusyInvocation(long pid, String requestId, byte[] payload, Instant startedAt, EnvironmentLog log, long logStart) {
    this.pid = pid;
    this.requestId = requestId;
    this.payload = payload;
    this.startedAt = startedAt;
    this.log = log;
    this.logStart = logStart;
  }

  /** The environment's process, or -1 when the environment is a thread of the service's JVM (IN_PROCESS). */
  public long pid() {
    return pid;
  }

  public String requestId() {
    return requestId;
  }

  /** The payload the function was invoked with. */
  public byte[] payload() {
    return payload.clone();
  }

  /** When the invocation was given its environment (on a cold start, before the environment's init). */
  public Instant startedAt() {
    return startedAt;
  }

  /**
   * What the environment has written to its log since this invocation began, read now: the START line and the
   * handler's output (on a cold start, the runtime's start-up output before them). Read after the invocation has
   * ended, it runs on into what the environment did next.
   */
  public String log() {
    return new String(log.tail(logStart, Integer.MAX_VALUE), StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "invocation " + requestId + " (environment " + (pid > 0 ? "pid " + pid : "in process") + ", since "
        + startedAt + ")";
  }
}
