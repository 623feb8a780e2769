package dev.stratus.jobs.train;

import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

/**
 * The clock of a simulated service whose environments each have a core of their own, for {@link ThreadWorkers}: a
 * gradient (a pass's, a minibatch's) takes its real computing's CPU time and {@code secondsPerRow} a row more, as a core
 * of its own would; it sleeps for what that adds up to beyond what the real computing took on this machine's shared
 * cores, and counts it all as CPU time.
 */
public final class OwnCoreClock implements ComputeClock {
  private final double secondsPerRow;

  /** @param secondsPerRow what a row's gradient takes on a core beyond what it takes here */
  public OwnCoreClock(double secondsPerRow) {
    this.secondsPerRow = secondsPerRow;
  }

  @Override
  public Took time(long rows, DoubleSupplier gradient) {
    Took real = ComputeClock.THREAD.time(rows, gradient);
    double onItsOwnCore = real.cpuSeconds() + rows * secondsPerRow;
    try {
      TimeUnit.NANOSECONDS.sleep((long) (Math.max(0, onItsOwnCore - real.wallSeconds()) * 1e9));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return new Took(real.value(), onItsOwnCore, onItsOwnCore);
  }
}
