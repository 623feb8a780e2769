package dev.stratus.jobs.train;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.function.DoubleSupplier;

/**
 * Times a worker's gradient computation, in wall and CPU time: what tells the driver whether more {@link Solver#LBFGS}
 * workers would shorten a pass ({@link WorkerScaling}). Workers measure their own thread ({@link #THREAD}); a service
 * simulated for a test may charge the computation as a core of each environment's own would take it, an SGD worker's
 * minibatches too ({@link #run}).
 */
public interface ComputeClock {
  /** What computing a pass's gradient took. */
  record Took(double value, double wallSeconds, double cpuSeconds) {}

  /** Computes {@code gradient} over {@code rows} rows, returning its value (the rows' summed loss) and its time. */
  Took time(long rows, DoubleSupplier gradient);

  /** Computes {@code gradient} over {@code rows} rows when no one asks what it took: as {@link #time} charges it. */
  default void run(long rows, Runnable gradient) {
    time(rows, () -> {
      gradient.run();
      return 0;
    });
  }

  /**
   * The calling thread's wall and CPU time; where this JVM cannot tell a thread's CPU time, as if the core were its
   * own. Untimed computations it just runs.
   */
  ComputeClock THREAD = new ComputeClock() {
    @Override
    public Took time(long rows, DoubleSupplier gradient) {
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      long cpu = threads.getCurrentThreadCpuTime();
      long wall = System.nanoTime();
      double value = gradient.getAsDouble();
      long wallNanos = System.nanoTime() - wall;
      long cpuNanos = cpu < 0 ? wallNanos : threads.getCurrentThreadCpuTime() - cpu;
      return new Took(value, wallNanos / 1e9, cpuNanos / 1e9);
    }

    @Override
    public void run(long rows, Runnable gradient) {
      gradient.run();
    }
  };
}
