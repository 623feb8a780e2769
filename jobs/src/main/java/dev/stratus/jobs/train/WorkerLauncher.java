package dev.stratus.jobs.train;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * Where a training job's worker generations run: threads of the driver, JVMs of their own, or Lambda invocations. The
 * job asks every worker to stop through the parameter server ({@link WorkerCheckpoints}), so a launcher only starts
 * generations and, where it can, kills them.
 */
public interface WorkerLauncher extends AutoCloseable {
  /**
   * Starts one generation with {@code memoryMb}, one of {@link #memorySizesMb}; its outcome completes when it returns,
   * or exceptionally when it died or failed.
   */
  Running launch(WorkerTask task, int memoryMb) throws Exception;

  /** The memory sizes, in MB, a generation may be launched with, smallest first. */
  List<Integer> memorySizesMb();

  /**
   * Bytes each of {@code workers} generations of {@code memoryMb} running at once may hold: what decides whether a
   * training set fits the workers' memory ({@link Solver#AUTO}).
   */
  long memoryPerWorker(int workers, int memoryMb);

  /**
   * Whether a generation computes faster with more memory, as on AWS Lambda, where an environment's CPU grows with
   * its memory; not where generations share this machine's cores.
   */
  default boolean cpuGrowsWithMemory() {
    return false;
  }

  /**
   * The most workers that can compute at once: where they share this machine's cores, its cores (an SGD worker keeps
   * one busy, so more cannot make more updates); else no bound of its own.
   */
  default int mostComputingAtOnce() {
    return Integer.MAX_VALUE;
  }

  /** Ends every generation still running, at once. */
  @Override
  void close();

  /**
   * A generation that was started.
   *
   * @param kill ends it abruptly, as a crash would (where the platform cannot, as for a Lambda invocation, the driver
   *     only stops waiting for it)
   * @param refused whether the platform refuses to start it now (its Lambda call throttled, to be tried again)
   */
  record Running(CompletableFuture<WorkerTask.WorkerOutcome> outcome, Runnable kill, BooleanSupplier refused) {
    /** A generation of a platform that never refuses one. */
    public Running(CompletableFuture<WorkerTask.WorkerOutcome> outcome, Runnable kill) {
      this(outcome, kill, () -> false);
    }
  }
}
