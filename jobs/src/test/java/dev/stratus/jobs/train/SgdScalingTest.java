package dev.stratus.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.jobs.train.SgdScaling.Action;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/** The SGD controller's decisions on update rates given to it, evaluation by evaluation. */
class SgdScalingTest {
  /** Evaluations this far apart, in seconds. */
  private static final double EVERY = 0.25;

  /**
   * Drives {@code scaling} with a training whose update rate at n workers is {@code rate(n)}, its workers beginning
   * {@code launchSeconds} after they are asked for, until it settles or {@code seconds} pass; returns the time it
   * settled at (or the last one).
   */
  private static double drive(SgdScaling scaling, IntToDoubleFunction rate, double launchSeconds, double seconds) {
    double updates = 0;
    double askedAt = 0;
    int asked = scaling.workers();
    for (double t = EVERY; t <= seconds && !scaling.settled(); t += EVERY) {
      updates += rate.applyAsDouble(t - askedAt >= launchSeconds ? scaling.workers() : asked) * EVERY;
      if (scaling.waitingForWorkers() && t - askedAt >= launchSeconds) {
        scaling.begun(t);
      }
      int before = scaling.workers();
      Action action = scaling.observe(t, (long) updates);
      if (action == Action.GROW) {
        askedAt = t;
        asked = before;
      }
      if (scaling.settled()) {
        return t;
      }
    }
    return seconds;
  }

  @Test
  void doublesWhileTheRateGrowsNearlyInProportionAndStopsWhereItFlattens() {
    SgdScaling scaling = new SgdScaling(2, 64);
    // each worker a core of its own up to 8, where the shards saturate
    double settledAt = drive(scaling, n -> 1_000.0 * Math.min(n, 8), 1.5, 120);
    assertTrue(scaling.settled());
    assertEquals(8, scaling.workers(), scaling.reason());
    assertTrue(scaling.reason().contains("short of 1.5x"), scaling.reason());
    assertTrue(settledAt < 60, "settled at " + settledAt + " s");
  }

  @Test
  void aDoublingThatDoesNotPayIsTakenBack() {
    SgdScaling scaling = new SgdScaling(2, 64);
    drive(scaling, n -> n <= 2 ? 2_000 : 2_400, 1, 60);
    assertTrue(scaling.settled());
    assertEquals(2, scaling.workers());
    assertTrue(scaling.reason().startsWith("2,400 updates/s at 4 against 2,000 at 2 (1.20x)"), scaling.reason());
  }

  @Test
  void itStopsAtTheMostAllowed() {
    SgdScaling scaling = new SgdScaling(2, 4);
    drive(scaling, n -> 1_000.0 * n, 1, 60);
    assertTrue(scaling.settled());
    assertEquals(4, scaling.workers());
    assertTrue(scaling.reason().endsWith("4 is the most"), scaling.reason());
    assertTrue(new SgdScaling(4, 4).settled(), "nothing to try past the most");
  }

  @Test
  void nothingIsMeasuredBeforeEveryWorkerHasBegunAndWarmedUp() {
    SgdScaling scaling = new SgdScaling(2, 64);
    for (double t = EVERY; t < 30; t += EVERY) {
      assertEquals(Action.NONE, scaling.observe(t, (long) (t * 1_000)), "never begun");
    }
    assertTrue(scaling.waitingForWorkers());
    scaling.begun(30);
    assertFalse(scaling.waitingForWorkers());
    for (double t = 30; t < 30 + SgdScaling.WARM_UP_SECONDS + SgdScaling.MEASURE_SECONDS; t += EVERY) {
      assertEquals(Action.NONE, scaling.observe(t, (long) (t * 1_000)), "warming up or measuring at " + t);
    }
    assertEquals(Action.GROW, scaling.observe(36, 36_000));
    assertEquals(4, scaling.workers());
    assertTrue(scaling.waitingForWorkers(), "the added workers have not begun");
  }
}
