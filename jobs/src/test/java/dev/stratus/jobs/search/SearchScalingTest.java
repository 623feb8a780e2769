package dev.stratus.jobs.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** How many experiments at once, from each experiment's rows a second at each count. */
class SearchScalingTest {
  /**
   * Experiments 0 to count - 1, running, each report {@code rate} rows/s {@link SearchScaling#SAMPLES} times; whether
   * that changed the count.
   */
  private static boolean paced(SearchScaling scaling, double rate) {
    boolean changed = false;
    int count = scaling.count();
    for (int i = 0; i < SearchScaling.SAMPLES * count; i++) {
      changed |= scaling.observe(i % count, rate, count);
    }
    return changed;
  }

  @Test
  void doublesWhileEachExperimentKeepsItsPaceThenGoesBack() {
    SearchScaling scaling = new SearchScaling(16);
    assertEquals(2, scaling.count(), "two to start");
    assertTrue(paced(scaling, 1000));
    assertEquals(4, scaling.count());
    assertTrue(paced(scaling, 900), "90% of the pace with two: the search's total nearly doubled");
    assertEquals(8, scaling.count());
    assertTrue(paced(scaling, 500));
    assertEquals(4, scaling.count(), "each at 56% of its pace with four: back to four");
    assertTrue(scaling.settled());
    assertTrue(scaling.reason().contains("with 8 at once the median of the 4 experiments that ran at both trained 56%"
        + " of its rows a second with 4"), scaling.reason());
    assertFalse(paced(scaling, 5000), "settled for good");
  }

  @Test
  void countsOnlyRatesTakenWithTheCountRunning() {
    SearchScaling scaling = new SearchScaling(8);
    for (int i = 0; i < 10; i++) {
      assertFalse(scaling.observe(0, 1000, 1), "an experiment's rate while the count was not full tells nothing");
    }
    assertEquals(2, scaling.count());
  }

  @Test
  void neverRunsMoreThanTheSearchHas() {
    SearchScaling scaling = new SearchScaling(3);
    assertTrue(paced(scaling, 1000));
    assertEquals(3, scaling.count());
    assertFalse(paced(scaling, 1000));
    assertTrue(scaling.settled());
    assertTrue(scaling.reason().contains("3 at once, the most"), scaling.reason());
    assertTrue(new SearchScaling(2).settled(), "two experiments: both at once from the start");
    assertEquals(1, new SearchScaling(1).count());
  }

  /**
   * Experiments that train at paces of their own (minibatches of 20 rows against 200, say) are each compared with
   * themselves: the new ones' paces, far apart, decide nothing.
   */
  @Test
  void comparesEachExperimentWithItself() {
    SearchScaling scaling = new SearchScaling(8);
    double[] atTwo = {100, 1000};
    for (int r = 0; r < SearchScaling.SAMPLES; r++) {
      for (int id = 0; id < 2; id++) {
        scaling.observe(id, atTwo[id], 2);
      }
    }
    assertEquals(4, scaling.count());
    double[] atFour = {90, 900, 10, 20};
    boolean changed = false;
    for (int r = 0; r < SearchScaling.SAMPLES; r++) {
      for (int id = 0; id < 4; id++) {
        changed |= scaling.observe(id, atFour[id], 4);
      }
    }
    assertTrue(changed);
    assertEquals(8, scaling.count(), "the two that ran at both kept 90% of their pace: " + scaling.reason());
    assertTrue(scaling.reason().contains("the median of the 2 experiments that ran at both kept 90%"),
        scaling.reason());
  }

  /** One experiment that ran at both counts is not enough to go back on: the count stays until a second has. */
  @Test
  void waitsForTwoExperimentsThatRanAtBothCounts() {
    SearchScaling scaling = new SearchScaling(8);
    assertTrue(paced(scaling, 1000));
    assertEquals(4, scaling.count());
    for (int r = 0; r < 4 * SearchScaling.SAMPLES; r++) {
      // experiment 1 has not reported at four yet; 0 slowed, 2, 3 and 4 are new
      assertFalse(scaling.observe(new int[] {0, 2, 3, 4}[r % 4], 500, 4), "one experiment's pace decides nothing");
    }
    assertEquals(4, scaling.count());
    assertTrue(scaling.observe(1, 450, 4), "a second that ran at both");
    assertEquals(2, scaling.count(), scaling.reason());
    assertTrue(scaling.reason().contains("the median of the 2 experiments that ran at both trained"), scaling.reason());
  }
}
