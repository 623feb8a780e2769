package dev.stratus.lambda.local;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/** A registered function: its current deployment, its environments (idle ones warm for reuse) and its counters. */
final class LambdaFunction {
  private volatile Deployment deployment;
  /** Most recently used first: the warmest environment serves the next invocation. */
  private final Deque<ExecutionEnvironment> idle = new ArrayDeque<>();
  private final Set<ExecutionEnvironment> live = ConcurrentHashMap.newKeySet();
  private final AtomicLong invocations = new AtomicLong();
  private final AtomicLong coldStarts = new AtomicLong();
  private final AtomicLong warmStarts = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong timeouts = new AtomicLong();
  private final AtomicLong throttles = new AtomicLong();
  private final AtomicLong initNanos = new AtomicLong();
  private final AtomicLong durationNanos = new AtomicLong();

  LambdaFunction(Deployment deployment) {
    this.deployment = deployment;
  }

  Deployment deployment() {
    return deployment;
  }

  /** Replaces the deployment; environments of the old one are destroyed when idle, or when their call ends. */
  void redeploy(Deployment next) {
    deployment = next;
    destroyIdle(environment -> true);
  }

  /** An idle environment of the current deployment, or null when the invocation must start one (cold). */
  ExecutionEnvironment takeIdle() {
    List<ExecutionEnvironment> stale = new ArrayList<>();
    ExecutionEnvironment warm = null;
    synchronized (idle) {
      while (warm == null && !idle.isEmpty()) {
        ExecutionEnvironment candidate = idle.pollFirst();
        if (candidate.isAlive() && candidate.deployment.revision() == deployment.revision()) {
          warm = candidate;
        } else {
          stale.add(candidate);
        }
      }
    }
    stale.forEach(this::retire);
    return warm;
  }

  void started(ExecutionEnvironment environment) {
    live.add(environment);
  }

  /** After an invocation: back to the idle pool if still usable, else destroyed. */
  void release(ExecutionEnvironment environment) {
    if (environment.isAlive() && environment.deployment.revision() == deployment.revision()) {
      synchronized (idle) {
        idle.addFirst(environment);
      }
    } else {
      retire(environment);
    }
  }

  void retire(ExecutionEnvironment environment) {
    live.remove(environment);
    environment.destroy();
  }

  /** Destroys idle environments that {@code test} selects. */
  void destroyIdle(Predicate<ExecutionEnvironment> test) {
    List<ExecutionEnvironment> doomed = new ArrayList<>();
    synchronized (idle) {
      idle.removeIf(environment -> test.test(environment) && doomed.add(environment));
    }
    doomed.forEach(this::retire);
  }

  /** Destroys every environment, busy ones included (their invocations end as crashed). */
  void destroyAll() {
    synchronized (idle) {
      idle.clear();
    }
    for (ExecutionEnvironment environment : List.copyOf(live)) {
      retire(environment);
    }
  }

  /** Environments running an invocation now. */
  List<ExecutionEnvironment> busy() {
    synchronized (idle) {
      return live.stream().filter(e -> e.isAlive() && !idle.contains(e)).toList();
    }
  }

  /** Counted when the invocation gets its environment. */
  void countStart(boolean cold) {
    invocations.incrementAndGet();
    (cold ? coldStarts : warmStarts).incrementAndGet();
  }

  /** Counted when the invocation ends; a cold start's init time is known by then. */
  void countOutcome(boolean cold, CallOutcome outcome, Duration initTime, Duration duration) {
    durationNanos.addAndGet(duration.toNanos());
    if (cold && initTime != null) {
      initNanos.addAndGet(initTime.toNanos());
    }
    if (outcome.functionError()) {
      errors.incrementAndGet();
    }
    if ("timeout".equals(outcome.status())) {
      timeouts.incrementAndGet();
    }
  }

  void countThrottle() {
    throttles.incrementAndGet();
  }

  FunctionStats stats() {
    int alive = (int) live.stream().filter(ExecutionEnvironment::isAlive).count();
    return new FunctionStats(invocations.get(), coldStarts.get(), warmStarts.get(), errors.get(), timeouts.get(),
        throttles.get(), alive, Duration.ofNanos(initNanos.get()), Duration.ofNanos(durationNanos.get()));
  }

  /** Idle environments unused since before {@code cutoff}. */
  void destroyIdleSince(Instant cutoff) {
    destroyIdle(environment -> environment.idleSince().isBefore(cutoff));
  }
}
