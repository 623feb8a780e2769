package dev.stratus.lambda.local;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One execution environment of one deployment: it runs one invocation at a time, is reused while warm, and is
 * destroyed when it times out, crashes or its function changes. Subclasses decide where the handler runs.
 */
abstract class ExecutionEnvironment {
  /** Errors after which the Java runtime exits by itself: the environment cannot be reused. */
  private static final Set<String> FATAL_ERRORS = Set.of("java.lang.OutOfMemoryError",
      "java.lang.StackOverflowError", "java.lang.InternalError", "java.lang.UnknownError", "java.io.IOError");

  final Deployment deployment;
  final String id;
  final EnvironmentLog log;
  private final Duration initTimeout;
  private final long createdNanos = System.nanoTime();
  private volatile Long initNanos;
  private volatile boolean initReported;
  private volatile Instant idleSince = Instant.now();
  /** The invocation running now, or null between invocations. */
  private volatile BusyInvocation running;

  ExecutionEnvironment(Deployment deployment, String id, EnvironmentLog log, Duration initTimeout) {
    this.deployment = deployment;
    this.id = id;
    this.log = log;
    this.initTimeout = initTimeout;
  }

  /** Hands the invocation to the runtime; {@link #pickUp} must follow when the runtime takes it. */
  abstract void deliver(PendingCall invocation);

  abstract boolean isAlive();

  /**
   * Kills the environment at once and releases what it holds; idempotent. An environment recording a class-data
   * archive is stopped instead, in the background, so that its JVM writes the archive: {@link #awaitEnd} waits for it.
   */
  abstract void destroy();

  /** Whether it is gone, and what it leaves behind (a class-data archive) has been kept or dropped. */
  abstract boolean ended();

  /** After {@link #destroy}: waits up to {@code timeout} for {@link #ended}. */
  void awaitEnd(Duration timeout) {}

  /** The process the environment runs in, or -1 when it is a thread of this JVM. */
  abstract long pid();

  /** Peak memory of the environment in MB, if known. */
  abstract long maxMemoryUsedMb();

  /**
   * Runs one invocation to its end: the handler's answer or error, the environment's death, or Lambda's timeout
   * (the environment is then killed). Returns the outcome and leaves the log tail in place for {@link #log}.
   *
   * @param logStart where the invocation's part of the log starts
   */
  final CallOutcome invoke(PendingCall invocation, long logStart) {
    running = new BusyInvocation(pid(), invocation.requestId, invocation.payload, Instant.now(), log, logStart);
    try {
      deliver(invocation);
      CallOutcome outcome = awaitOutcome(invocation);
      if (outcome.functionError() && FATAL_ERRORS.contains(outcome.errorType())) {
        destroy();
      }
      report(invocation, outcome);
      idleSince = Instant.now();
      return outcome;
    } finally {
      running = null;
    }
  }

  /** The invocation running now, or null between invocations. */
  BusyInvocation running() {
    return running;
  }

  private CallOutcome awaitOutcome(PendingCall invocation) {
    try {
      CompletableFuture.anyOf(invocation.pickedUp, invocation.outcome)
          .get(initTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return kill(invocation, CallOutcome.platform("Runtime.InitTimeout", "RequestId: " + invocation.requestId
          + " Error: the runtime did not ask for an invocation within " + initTimeout.toSeconds() + " seconds",
          "timeout"));
    } catch (InterruptedException e) {
      return interrupted(invocation);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
    if (invocation.outcome.isDone()) {
      return invocation.outcome.join();
    }
    long remainingMillis = invocation.deadlineEpochMillis() - System.currentTimeMillis();
    try {
      return invocation.outcome.get(Math.max(0, remainingMillis), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      String seconds = String.format(Locale.ROOT, "%.2f", (double) deployment.timeoutSeconds());
      log.line(Instant.now() + " " + invocation.requestId + " Task timed out after " + seconds + " seconds");
      return kill(invocation, CallOutcome.platform("Sandbox.Timedout",
          "RequestId: " + invocation.requestId + " Error: Task timed out after " + seconds + " seconds", "timeout"));
    } catch (InterruptedException e) {
      return interrupted(invocation);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The service is stopping while the call waits: the call ends with an error and the environment goes. */
  private CallOutcome interrupted(PendingCall invocation) {
    Thread.currentThread().interrupt();
    return kill(invocation,
        CallOutcome.platform("Runtime.Interrupted", "the local Lambda service is stopping", "error"));
  }

  /** Settles the invocation with {@code outcome} before killing, so the environment's exit cannot claim it. */
  private CallOutcome kill(PendingCall invocation, CallOutcome outcome) {
    invocation.outcome.complete(outcome);
    destroy();
    return invocation.outcome.join();
  }

  /** Called when the runtime takes {@code invocation}: the first call ends the cold start. */
  final void pickUp(PendingCall invocation) {
    if (initNanos == null) {
      initNanos = System.nanoTime() - createdNanos;
    }
    log.line("START RequestId: " + invocation.requestId + " Version: $LATEST");
    invocation.markPickedUp(deployment.timeoutSeconds());
  }

  private void report(PendingCall invocation, CallOutcome outcome) {
    StringBuilder line = new StringBuilder("REPORT RequestId: ").append(invocation.requestId);
    if (invocation.pickedUp.isDone()) {
      double millis = (System.nanoTime() - invocation.pickedUpNanos()) / 1e6;
      line.append(String.format(Locale.ROOT, "\tDuration: %.2f ms\tBilled Duration: %d ms", millis,
          (long) Math.ceil(millis)));
    }
    line.append("\tMemory Size: ").append(deployment.memoryMb()).append(" MB");
    long maxMemory = maxMemoryUsedMb();
    if (maxMemory > 0) {
      line.append("\tMax Memory Used: ").append(maxMemory).append(" MB");
    }
    if (!initReported && initNanos != null) {
      initReported = true;
      line.append(String.format(Locale.ROOT, "\tInit Duration: %.2f ms", initNanos / 1e6));
    }
    if (outcome.status() != null) {
      line.append("\tStatus: ").append(outcome.status());
      if (outcome.errorType() != null) {
        line.append("\tError Type: ").append(outcome.errorType());
      }
    }
    log.line("END RequestId: " + invocation.requestId);
    log.line(line.toString());
  }

  /** Time from the environment's creation to the runtime's first request: Lambda's Init Duration. */
  Duration initDuration() {
    Long nanos = initNanos;
    return nanos == null ? null : Duration.ofNanos(nanos);
  }

  Instant idleSince() {
    return idleSince;
  }
}
