package dev.stratus.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which penalties a training with the default L2 tries, and when it stops trying. */
class PenaltyPathTest {
  private static final long ROWS = 10_000;

  @Test
  void goesFromTheStrongestPenaltyToWeakerOnesWhileTheyFindABetterModel() {
    PenaltyPath path = new PenaltyPath(ROWS);
    assertEquals(1 / (0.01 * ROWS), path.l2(), 1e-9, "liblinear's C = 0.01 first");
    assertTrue(path.advance(0.50), "the first penalty always gives way to the next");
    assertEquals(1 / (0.03 * ROWS), path.l2(), 1e-9, "half a decade weaker");
    assertTrue(path.advance(0.45), "C = 0.03 found a better model than C = 0.01");
    assertEquals(1 / (0.1 * ROWS), path.l2(), 1e-9);
    assertFalse(path.advance(0.45), "C = 0.1 found none better than C = 0.03: the path ends there");
  }

  @Test
  void penaltiesBeforeTheLastAreLeftAtThreeHundredthsOfAPercentTheLastAtTheUsersEpsilon() {
    PenaltyPath path = new PenaltyPath(ROWS);
    assertEquals(1e-4, path.epsilon(1e-4, Double.POSITIVE_INFINITY), "nothing evaluated yet");
    assertEquals(1.5e-4, path.epsilon(1e-4, 0.5), 1e-12);
    assertEquals(1e-2, path.epsilon(1e-2, 0.5), "never looser than the user's");
    for (double loss = 0.49; loss > 0.435; loss -= 0.01) {
      assertEquals(1.5e-4, path.epsilon(1e-4, 0.5), 1e-12, "not yet the last");
      assertTrue(path.advance(loss));
    }
    assertEquals(1 / (10.0 * ROWS), path.l2(), 1e-9, "the last");
    assertEquals(1e-4, path.epsilon(1e-4, 0.5));
    assertEquals(1.5e-4, path.epsilon(0, 0.5), 1e-12,
        "a training that never stops still judges the last penalty, to tell whether it found a better model");
    assertFalse(path.advance(0.45));
    assertEquals(0, path.epsilon(0, 0.5), "once the path ended, never");
  }

  @Test
  void goesBackToTheBestModelsPenaltyOnceThePathEndedPastIt() {
    PenaltyPath path = new PenaltyPath(ROWS);
    path.advance(0.5);
    float best = path.l2();
    path.advance(0.45);
    assertFalse(path.advance(0.46), "C = 0.1 found nothing better than C = 0.03");
    assertTrue(path.ended());
    assertTrue(path.backToBest(), "back from C = 0.1 to C = 0.03");
    assertEquals(best, path.l2());
    assertFalse(path.backToBest(), "already there");
    PenaltyPath weakestBest = new PenaltyPath(ROWS);
    for (double loss = 0.5; weakestBest.advance(loss); loss -= 0.01) {
      // every penalty better than the one before, down to C = 10
    }
    assertFalse(weakestBest.backToBest(), "the weakest penalty found the best model: the path stays there");
  }

  @Test
  void endsAtTheWeakestPenalty() {
    PenaltyPath path = new PenaltyPath(ROWS);
    for (double loss = 0.5; path.advance(loss); loss -= 0.01) {
      assertTrue(path.l2() >= 1 / (10.0 * ROWS) * 0.999, "no weaker than C = 10: " + path.l2());
    }
    assertEquals(1 / (10.0 * ROWS), path.l2(), 1e-9);
  }

  @Test
  void aResumedTrainingGoesOnAtThePenaltyItHadReached() {
    PenaltyPath path = new PenaltyPath(ROWS);
    path.advance(0.5);
    path.advance(0.4);
    PenaltyPath resumed = PenaltyPath.resumedAt(ROWS, path.l2(), 0.4, false);
    assertEquals(path.l2(), resumed.l2());
    assertEquals(path.describe(), resumed.describe());
    assertFalse(resumed.ended());
    // the best loss before is the dead driver's: a penalty no better than it ends the path, as it would have there
    assertFalse(resumed.advance(0.41), "went on past a worse penalty");
  }

  @Test
  void aPathResumedAfterItEndedStaysEndedAtItsBestPenalty() {
    PenaltyPath path = new PenaltyPath(ROWS);
    path.advance(0.5);
    path.advance(0.4);
    assertFalse(path.advance(0.45)); // worse: the path ends, its best the penalty before
    path.backToBest();
    PenaltyPath resumed = PenaltyPath.resumedAt(ROWS, path.l2(), 0.4, true);
    assertTrue(resumed.ended());
    assertEquals(path.describe(), resumed.describe());
    assertFalse(resumed.backToBest(), "it is at its best penalty already");
  }
}
