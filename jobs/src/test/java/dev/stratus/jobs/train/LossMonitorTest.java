package dev.stratus.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** When the monitor stops a training, and that a shard's restart does not pass for convergence. */
class LossMonitorTest {
  private static final double[] BEFORE_RESTART = {0.60, 0.55, 0.50, 0.48, 0.47};
  /** The model went back to an older snapshot, then improves again, by more than epsilon over the window. */
  private static final double[] AFTER_RESTART = {0.52, 0.50, 0.49, 0.485};

  private static StopReason feed(LossMonitor monitor, double[] losses, int firstUpdate) {
    StopReason reason = null;
    for (int i = 0; i < losses.length; i++) {
      reason = monitor.observe(new CurvePoint(i, firstUpdate + 100L * (i + 1), losses[i], 0.5, Double.NaN));
    }
    return reason;
  }

  @Test
  void aLossThatStopsImprovingIsConvergence() {
    LossMonitor monitor = new LossMonitor(0.01, 3, 0, 600);
    assertNull(feed(monitor, BEFORE_RESTART, 0));
    assertEquals(StopReason.CONVERGED, feed(monitor, new double[] {0.469, 0.468, 0.468}, 1_000));
  }

  /**
   * Workers a busy machine starves push a few updates between evaluations: the loss looks flat over any few of them,
   * yet the training has not seen its data once. Convergence is judged over a pass over the data at least.
   */
  @Test
  void aStarvedTrainingIsNotConvergedBeforeAPassOverItsData() {
    LossMonitor monitor = new LossMonitor(0.01, 3, 1_000, 600);
    StopReason reason = null;
    long updates = 0;
    double loss = 0.60;
    int evaluations = 0;
    while (reason == null && evaluations < 100) {
      updates += 50; // a pass is 1,000 updates: 20 evaluations
      loss -= 0.0012; // 0.024 over 20 evaluations, a pass: not converged
      reason = monitor.observe(new CurvePoint(evaluations++, updates, loss, 0.5, Double.NaN));
    }
    assertNull(reason, "still improving by 0.024 a pass, though by less than 0.01 over any 3 evaluations");
    for (int i = 0; i < 25 && reason == null; i++) {
      updates += 50;
      reason = monitor.observe(new CurvePoint(evaluations++, updates, loss, 0.5, Double.NaN));
      if (reason != null) {
        assertEquals(StopReason.CONVERGED, reason);
        // after k flat evaluations the last pass improved by 0.0012 (20 - k): below 0.01 from k = 12
        assertEquals(12, i + 1, "converged once the last pass improved by less than epsilon, not after 3 evaluations");
      }
    }
    assertEquals(StopReason.CONVERGED, reason);
  }

  @Test
  void epsilonZeroNeverStopsOnConvergenceButStillOnDivergenceAndTheTimeout() {
    LossMonitor monitor = new LossMonitor(0, 3, 0, 600);
    assertNull(feed(monitor, BEFORE_RESTART, 0));
    assertNull(feed(monitor, new double[] {0.47, 0.48, 0.49, 0.48, 0.48, 0.48}, 1_000),
        "a window no better than the best before it does not stop a training told never to stop so");
    assertEquals(StopReason.DIVERGED, feed(monitor, new double[] {0.6, 0.7, 0.9}, 2_000));
    assertEquals(StopReason.TIMEOUT, new LossMonitor(0, 3, 0, 1).observe(new CurvePoint(1, 10, 0.5, 0.5, Double.NaN)));
  }

  @Test
  void afterAShardRestartTheLossIsJudgedOnlyAgainstItselfNotAgainstTheBestBefore() {
    LossMonitor unaware = new LossMonitor(0.01, 3, 0, 600);
    feed(unaware, BEFORE_RESTART, 0);
    assertEquals(StopReason.CONVERGED, feed(unaware, AFTER_RESTART, 1_000),
        "judged against the best before the restart, the climb back looks like a plateau");

    LossMonitor monitor = new LossMonitor(0.01, 3, 0, 600);
    feed(monitor, BEFORE_RESTART, 0);
    monitor.restartWindow();
    assertNull(feed(monitor, AFTER_RESTART, 1_000), "the loss fell by 0.035 over the window after the restart");
    assertEquals(StopReason.CONVERGED, feed(monitor, new double[] {0.484, 0.484, 0.484}, 2_000),
        "and it still converges once the loss stops falling");
  }
}
