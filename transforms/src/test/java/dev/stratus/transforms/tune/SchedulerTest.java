package dev.stratus.transforms.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stratus.transforms.train.CurvePoint;
import dev.stratus.transforms.train.StopReason;
import org.junit.jupiter.api.Test;

class SchedulerTest {
  private static CurvePoint at(long updates, double loss) {
    return new CurvePoint(updates / 1000.0, updates, loss, 0.5);
  }

  @Test
  void stopDivergedStopsANonFiniteLossAndOneRisingForTheWholeWindow() {
    Scheduler.Judge judge = Scheduler.stopDiverged(3).newJudge();
    assertEquals(StopReason.DIVERGED, judge.observe(0, at(10, Double.NaN)));
    assertEquals(StopReason.DIVERGED, judge.observe(1, at(10, Double.POSITIVE_INFINITY)));
    double[] rising = {0.6, 0.5, 0.55, 0.6};
    for (int i = 0; i < rising.length; i++) {
      assertNull(judge.observe(2, at(10 * (i + 1), rising[i])), "evaluation " + i);
    }
    assertEquals(StopReason.DIVERGED, judge.observe(2, at(50, 0.7)));
    // another experiment's history is its own
    assertNull(judge.observe(3, at(10, 0.9)));
  }

  @Test
  void successiveHalvingKeepsTheBestFractionAtEachRung() {
    // rungs at 100, 200, 400, ... updates; keep the best half at each
    Scheduler.Judge judge = Scheduler.successiveHalving(100, 2, 0).newJudge();
    assertNull(judge.observe(0, at(50, 0.50)), "below the first rung: never judged");
    assertNull(judge.observe(0, at(120, 0.40)), "the first to reach a rung goes on");
    assertEquals(StopReason.HALVED, judge.observe(1, at(110, 0.45)), "second of two, worse: not in the best half");
    assertNull(judge.observe(2, at(105, 0.30)), "best of three: goes on");
    assertNull(judge.observe(3, at(130, 0.35)), "second of four: in the best half");
    assertEquals(StopReason.HALVED, judge.observe(4, at(100, 0.38)), "third of five: not in the best two");
    // experiment 0 reaches the second rung alone: it goes on, judged on its best loss so far
    assertNull(judge.observe(0, at(210, 0.41)));
    Scheduler.HalvingJudge halving = (Scheduler.HalvingJudge) judge;
    assertEquals(5, halving.reached(0));
    assertEquals(1, halving.reached(1));
  }

  @Test
  void theGracePeriodSkipsEarlyRungs() {
    Scheduler.Judge judge = Scheduler.successiveHalving(100, 2, 150).newJudge();
    assertNull(judge.observe(0, at(120, 0.30)));
    assertNull(judge.observe(1, at(120, 0.60)), "rung 100 is inside the grace period");
    assertNull(judge.observe(0, at(200, 0.30)));
    assertEquals(StopReason.HALVED, judge.observe(1, at(200, 0.60)));
  }

  @Test
  void badSettingsAreRefused() {
    assertEquals("successiveHalving: reductionFactor must be at least 2, got 1",
        assertThrows(IllegalArgumentException.class, () -> Scheduler.successiveHalving(10, 1, 0)).getMessage());
    assertEquals("stopDiverged: window must be at least 1 evaluation, got 0",
        assertThrows(IllegalArgumentException.class, () -> Scheduler.stopDiverged(0)).getMessage());
  }
}
