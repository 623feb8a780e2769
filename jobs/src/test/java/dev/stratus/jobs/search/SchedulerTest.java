package dev.stratus.jobs.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stratus.jobs.train.CurvePoint;
import dev.stratus.jobs.train.StopReason;
import org.junit.jupiter.api.Test;

class SchedulerTest {
  private static CurvePoint at(long updates, double loss) {
    return new CurvePoint(updates / 1000.0, updates, loss, 0.5, Double.NaN);
  }

  @Test
  void stopDivergedStopsANonFiniteLossAndOneRisingForTheWholeWindow() {
    Scheduler.Judge judge = Scheduler.stopDiverged(3).newJudge();
    assertEquals(StopReason.DIVERGED, judge.observe(0, at(10, Double.NaN)));
    assertEquals(StopReason.DIVERGED, judge.observe(1, at(10, Double.POSITIVE_INFINITY)));
    double[] rising = {0.69, 0.4, 0.3, 0.31, 0.32};
    for (int i = 0; i < rising.length; i++) {
      assertNull(judge.observe(2, at(10 * i, rising[i])), "evaluation " + i);
    }
    assertNull(judge.observe(2, at(50, 0.325)), "rising three times, but within 10% of the best: noise");
    assertNull(judge.observe(2, at(60, 0.31)));
    double[] away = {0.315, 0.32};
    for (int i = 0; i < away.length; i++) {
      assertNull(judge.observe(2, at(70 + i, away[i])), "evaluation " + i);
    }
    assertEquals(StopReason.DIVERGED, judge.observe(2, at(80, 0.35)), "rising three times, to 1.17 times the best (0.3)");
    // another experiment's history is its own
    assertNull(judge.observe(3, at(10, 0.9)));
  }

  @Test
  void stopDivergedStopsALossWorseThanTheUntrainedModelForTheWholeWindow() {
    Scheduler.Judge judge = Scheduler.stopDiverged(3).newJudge();
    assertNull(judge.observe(0, at(0, 0.693)), "the untrained model");
    assertNull(judge.observe(0, at(10, 1.5)));
    assertNull(judge.observe(0, at(20, 1.2)));
    assertEquals(StopReason.DIVERGED, judge.observe(0, at(30, 1.3)), "three evaluations above 0.693");
    assertNull(judge.observe(1, at(0, 0.693)));
    assertNull(judge.observe(1, at(10, 1.5)));
    assertNull(judge.observe(1, at(20, 0.6)));
    assertNull(judge.observe(1, at(30, 0.9)), "one evaluation in the window did better than the untrained model");
    // workers starting slowly: a few updates leave the loss a little above the untrained model's; no new update, no
    // new evaluation
    assertNull(judge.observe(2, at(0, 0.693)));
    assertNull(judge.observe(2, at(5, 0.70)));
    assertNull(judge.observe(2, at(9, 0.71)));
    assertNull(judge.observe(2, at(22, 0.70)), "within 10% of the untrained model: noise");
    assertNull(judge.observe(3, at(0, 0.693)));
    assertNull(judge.observe(3, at(10, 2.0)));
    assertNull(judge.observe(3, at(10, 2.0)));
    assertNull(judge.observe(3, at(10, 2.0)), "three evaluations, but one after new updates");
    assertNull(judge.observe(3, at(20, 2.0)));
    assertEquals(StopReason.DIVERGED, judge.observe(3, at(30, 2.0)));
  }

  @Test
  void successiveHalvingKeepsTheBestFractionAtEachRung() {
    // rungs at 100, 200, 400, ... updates; keep the best half at each
    Scheduler.Judge judge = Scheduler.successiveHalving(100, 2, 0).newJudge();
    for (int e = 0; e < 5; e++) {
      assertNull(judge.observe(e, at(0, 0.693)), "the untrained model of experiment " + e);
    }
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
    judge.observe(0, at(0, 0.693));
    judge.observe(1, at(0, 0.693));
    assertNull(judge.observe(0, at(120, 0.30)));
    assertNull(judge.observe(1, at(120, 0.60)), "rung 100 is inside the grace period");
    assertNull(judge.observe(0, at(200, 0.30)));
    assertEquals(StopReason.HALVED, judge.observe(1, at(200, 0.60)));
  }

  @Test
  void successiveHalvingBySecondsJudgesAtTheTrainingTimeNotTheUpdates() {
    // rungs at 2, 4, 8 ... seconds; experiment 1 makes ten times the updates of experiment 0 in the same time
    Scheduler.Judge judge = Scheduler.successiveHalvingBySeconds(2.0, 2, 0).newJudge();
    assertNull(judge.observe(0, new CurvePoint(0.0, 0, 0.693, 0.5, Double.NaN)));
    assertNull(judge.observe(1, new CurvePoint(0.0, 0, 0.693, 0.5, Double.NaN)));
    assertNull(judge.observe(1, new CurvePoint(1.5, 50_000, 0.50, 0.5, Double.NaN)), "many updates, but before 2 s");
    assertNull(judge.observe(0, new CurvePoint(2.1, 5_000, 0.40, 0.5, Double.NaN)), "the first at the 2 s rung goes on");
    assertEquals(StopReason.HALVED, judge.observe(1, new CurvePoint(2.0, 60_000, 0.45, 0.5, Double.NaN)),
        "second at the 2 s rung with a worse best: halved, however many updates it made");
    assertNull(judge.observe(0, new CurvePoint(3.9, 9_000, 0.38, 0.5, Double.NaN)), "not yet at the 4 s rung");
    assertEquals(2, ((Scheduler.HalvingJudge) judge).reached(0));
    assertEquals(0, ((Scheduler.HalvingJudge) judge).reached(1));
    assertEquals(8.0, new Scheduler.SuccessiveHalving(Scheduler.Budget.SECONDS, 2.0, 2, 0).rung(2));
  }

  @Test
  void badSettingsAreRefused() {
    assertEquals("successiveHalving: reductionFactor must be at least 2, got 1",
        assertThrows(IllegalArgumentException.class, () -> Scheduler.successiveHalving(10, 1, 0)).getMessage());
    assertEquals("successiveHalving: the first rung must be more than 0 seconds, got 0.0",
        assertThrows(IllegalArgumentException.class, () -> Scheduler.successiveHalvingBySeconds(0, 2, 0))
            .getMessage());
    assertEquals("stopDiverged: window must be at least 1 evaluation, got 0",
        assertThrows(IllegalArgumentException.class, () -> Scheduler.stopDiverged(0)).getMessage());
  }
}
