package dev.stratus.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** How long the driver waits between evaluations: the user's interval, or two passes bounded by what they cost. */
class EvaluationPaceTest {
  private static final long MS = 1_000_000L;

  @Test
  void aUsersIntervalIsKeptWhateverTheData() {
    EvaluationPace pace = new EvaluationPace(250, 1_000, 20);
    pace.evaluated(0, MS, 0);
    pace.evaluated(100_000, 200 * MS, 100 * MS);
    assertEquals(250 * MS, pace.nanos());
  }

  @Test
  void twoPassesAtTheRateJustMeasuredWithinTheBounds() {
    // 100,000 rows; 1,000 updates of 20 rows in 100 ms: 200,000 rows/s, two passes in 1 s: capped at 500 ms
    EvaluationPace large = new EvaluationPace(0, 100_000, 20);
    assertEquals(EvaluationPace.MIN_MILLIS * MS, large.nanos(), "before any rate is known");
    large.evaluated(0, MS, 0);
    large.evaluated(1_000, MS, 100 * MS);
    assertEquals(EvaluationPace.MAX_MILLIS * MS, large.nanos());

    // 15,000 rows at the same rate: two passes take 150 ms
    EvaluationPace middle = new EvaluationPace(0, 15_000, 20);
    middle.evaluated(0, MS, 0);
    middle.evaluated(1_000, MS, 100 * MS);
    assertEquals(150 * MS, middle.nanos(), MS / 1000);

    // 1,200 rows (the digits): two passes in 12 ms, so the floor
    EvaluationPace small = new EvaluationPace(0, 1_200, 20);
    small.evaluated(0, MS, 0);
    small.evaluated(1_000, MS, 100 * MS);
    assertEquals(EvaluationPace.MIN_MILLIS * MS, small.nanos());
  }

  @Test
  void anEvaluationStaysASmallShareOfTheTimeAndNoUpdatesLeaveTheRateUnknown() {
    EvaluationPace pace = new EvaluationPace(0, 1_200, 20);
    pace.evaluated(0, MS, 0);
    pace.evaluated(1_000, 12 * MS, 100 * MS); // an evaluation of 12 ms: 240 ms before the next
    assertEquals(240 * MS, pace.nanos());
    pace.evaluated(1_000, MS, 400 * MS); // no update since: only what the evaluation took counts, so the floor
    assertEquals(EvaluationPace.MIN_MILLIS * MS, pace.nanos());
  }
}
