package dev.stratus.dsl;

import dev.stratus.jobs.train.WorkerMessages;
import dev.stratus.jobs.train.WorkerTask;
import dev.stratus.spi.WorkerContext;
import dev.stratus.spi.WorkerEntryPoint;

/**
 * One SGD worker generation inside a worker invocation: runs until its lifetime, the function's time limit (less a
 * margin to answer in), the end of its data or the job's stop, and answers with its position for its successor.
 */
public final class SgdEntryPoint implements WorkerEntryPoint {
  public static final String NAME = "stratus-sgd-worker";
  /** Time left to stop, record the position and answer before the function's timeout: at least this. */
  private static final long MIN_MARGIN_MILLIS = 3_000;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte[] handle(byte[] request, WorkerContext context) throws Exception {
    WorkerTask task = WorkerMessages.task(request);
    long remaining = context.remainingMillis();
    long margin = Math.max(MIN_MARGIN_MILLIS, remaining / 10);
    long lifetime = Math.min((long) (task.spec().workerLifetimeSeconds() * 1000), remaining - margin);
    if (lifetime <= 0) {
      throw new IllegalStateException("the worker function's timeout leaves no time to train (" + remaining
          + " ms left): raise it above " + (2 * MIN_MARGIN_MILLIS / 1000) + " s");
    }
    WorkerTask.WorkerOutcome outcome = task.run(lifetime, context.memoryMb(), () -> false);
    return WorkerMessages.outcome(outcome);
  }
}
