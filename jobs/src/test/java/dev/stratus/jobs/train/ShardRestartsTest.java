package dev.stratus.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.ps.ShardMetrics;
import org.junit.jupiter.api.Test;

/** What a shard restart lost, from the metrics of the shard before its death and of its replacement. */
class ShardRestartsTest {
  private static ShardMetrics replacement(long appliedSinceStart, long held) {
    return new ShardMetrics(0, 0, appliedSinceStart, 0, 0, 0, 0, 1, 0, 1, held, 1L, 0, 1);
  }

  @Test
  void pushesTheReplacementTookAfterItsRestoreDoNotCountAsSaved() {
    // 1,500 held at death; the snapshot restored 900; workers pushed 100 more before the replacement was read.
    assertEquals(600, ShardRestarts.updatesLost(1_500, replacement(100, 1_000)));
  }

  @Test
  void aReplacementReadBeforeAnyNewPushLostTheDifference() {
    assertEquals(600, ShardRestarts.updatesLost(1_500, replacement(0, 900)));
  }

  @Test
  void nothingIsLostWhenTheSnapshotHeldAllThatWasLastSeen() {
    // pushes after the last poll and before the snapshot: more restored than last seen, never a negative loss
    assertEquals(0, ShardRestarts.updatesLost(1_500, replacement(10, 1_520)));
  }
}
