package dev.stratus.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The worker count's decisions from rounds' times: when it doubles, keeps, goes back, and settles. */
class WorkerScalingTest {
  /**
   * {@code rounds} rounds of {@code seconds}, the busiest worker taking {@code share} of each, the workers on a core of
   * their own; the last's action.
   */
  private static WorkerScaling.Action rounds(WorkerScaling scaling, int rounds, double seconds, double share) {
    return rounds(scaling, rounds, seconds, share, 1.0);
  }

  private static WorkerScaling.Action rounds(
      WorkerScaling scaling, int rounds, double seconds, double share, double onCores) {
    WorkerScaling.Action action = WorkerScaling.Action.NONE;
    for (int r = 0; r < rounds; r++) {
      action = scaling.observe(seconds, seconds * share, seconds * share, onCores);
    }
    return action;
  }

  @Test
  void doublesWhileAPassGetsNearlyAsMuchFasterThenGoesBackAndSettles() {
    WorkerScaling scaling = new WorkerScaling(1, 8);
    scaling.roundCameBackAt(0.5);
    assertEquals(WorkerScaling.Action.NONE, rounds(scaling, WorkerScaling.SAMPLES - 1, 1.0, 0.9));
    assertEquals(WorkerScaling.Action.GROW, rounds(scaling, 1, 1.0, 0.9));
    assertEquals(2, scaling.target());
    // while the new workers read their data, rounds at the old count decide nothing
    assertEquals(WorkerScaling.Action.NONE, rounds(scaling, 5, 3.0, 0.9));
    scaling.ready();
    assertEquals(WorkerScaling.Action.SWITCH, rounds(scaling, WorkerScaling.SAMPLES, 1.0, 0.9), "the baseline taken");
    scaling.grown(2);
    // the busiest worker's 0.47 s against 0.9 s before: kept
    assertEquals(WorkerScaling.Action.GROW, rounds(scaling, WorkerScaling.SAMPLES, 0.55, 0.85));
    assertEquals(4, scaling.target());
    scaling.ready();
    assertEquals(WorkerScaling.Action.SWITCH, rounds(scaling, WorkerScaling.SAMPLES, 0.6, 0.8), "a slower baseline");
    scaling.grown(4);
    // the busiest worker's 0.45 s against 0.48 s before: waiting for cores, not 25% less
    assertEquals(WorkerScaling.Action.SHRINK, rounds(scaling, WorkerScaling.SAMPLES, 0.5, 0.9));
    assertEquals(2, scaling.target());
    assertTrue(scaling.reason().contains("took 0.450 s a pass with 4 workers against 0.480 s with 2"),
        scaling.reason());
    scaling.shrunk();
    assertEquals(2, scaling.workers());
    assertTrue(scaling.settled());
    assertEquals(WorkerScaling.Action.NONE, rounds(scaling, 10, 5.0, 1.0), "settled for good");
  }

  /**
   * A count settled by the service's refusals is measured again when told that more may run, and doubles where that
   * pays, its reason saying why it was measured again; then it settles as before. A count at the most is not reopened.
   */
  @Test
  void aSettledCountToldMoreMayRunIsMeasuredAgainAndMayDouble() {
    WorkerScaling scaling = new WorkerScaling(2, 8);
    assertEquals(WorkerScaling.Action.GROW, rounds(scaling, WorkerScaling.SAMPLES, 1.0, 0.9));
    scaling.refused(2, "refused");
    assertEquals(WorkerScaling.Action.NONE, rounds(scaling, 10, 1.0, 0.9), "settled");
    assertTrue(scaling.reopen("the others ended"));
    assertFalse(scaling.settled());
    assertEquals(WorkerScaling.Action.NONE, rounds(scaling, WorkerScaling.SAMPLES - 1, 1.0, 0.9));
    assertEquals(WorkerScaling.Action.GROW, rounds(scaling, 1, 1.0, 0.9));
    assertEquals(4, scaling.target());
    assertTrue(scaling.reason().startsWith("the others ended; a pass took 1.000 s"), scaling.reason());
    scaling.ready();
    assertEquals(WorkerScaling.Action.SWITCH, rounds(scaling, WorkerScaling.SAMPLES, 1.0, 0.9));
    scaling.grown(4);
    assertEquals(WorkerScaling.Action.SHRINK, rounds(scaling, WorkerScaling.SAMPLES, 0.9, 0.9));
    assertFalse(scaling.reason().contains("the others ended"), "said once: " + scaling.reason());
    scaling.shrunk();
    assertTrue(scaling.settled());

    WorkerScaling atTheMost = new WorkerScaling(3, 3);
    assertFalse(atTheMost.reopen("the others ended"), "a worker per partition already");
    assertTrue(atTheMost.settled());
  }

  /** Workers that computed faster but waited for cores to do it do not stay: a busier machine would undo it. */
  @Test
  void goesBackWhereTheNewWorkersWaitForCores() {
    WorkerScaling scaling = new WorkerScaling(2, 8);
    assertEquals(WorkerScaling.Action.GROW, rounds(scaling, WorkerScaling.SAMPLES, 1.0, 0.9));
    scaling.ready();
    assertEquals(WorkerScaling.Action.SWITCH, rounds(scaling, WorkerScaling.SAMPLES, 1.0, 0.9));
    scaling.grown(4);
    assertEquals(WorkerScaling.Action.SHRINK, rounds(scaling, WorkerScaling.SAMPLES, 0.6, 0.9, 0.55));
    assertTrue(scaling.reason().contains("on a core only 55% of the time"), scaling.reason());
  }

  @Test
  void neverDoublesWorkersThatWaitForCoresAlready() {
    WorkerScaling scaling = new WorkerScaling(2, 8);
    assertEquals(WorkerScaling.Action.NONE, rounds(scaling, WorkerScaling.SAMPLES, 1.0, 0.9, 0.6));
    assertTrue(scaling.settled());
    assertTrue(scaling.reason().contains("waiting for cores already"), scaling.reason());
  }

  @Test
  void settlesWhereThePassIsNotTheWorkersCompute() {
    WorkerScaling scaling = new WorkerScaling(2, 8);
    scaling.roundCameBackAt(0.1);
    assertEquals(WorkerScaling.Action.NONE, rounds(scaling, WorkerScaling.SAMPLES, 0.01, 0.3));
    assertTrue(scaling.settled());
    assertTrue(scaling.reason().contains("part is only 30%"), scaling.reason());
  }

  @Test
  void settlesWhereDoublingWouldNotPayForStartingTheWorkers() {
    WorkerScaling scaling = new WorkerScaling(2, 8);
    scaling.roundCameBackAt(1.0);
    // 20 passes of 0.2 s, 90% compute: halving saves 1.8 s, less than twice the 1 s the workers took to start
    assertEquals(WorkerScaling.Action.NONE, rounds(scaling, WorkerScaling.SAMPLES, 0.2, 0.9));
    assertTrue(scaling.settled());
    assertTrue(scaling.reason().contains("less than twice the 1.0 s it took to start them"), scaling.reason());
  }

  @Test
  void neverPassesAWorkerPerPartition() {
    WorkerScaling scaling = new WorkerScaling(3, 3);
    assertTrue(scaling.settled(), "as many workers as partitions already");
    scaling = new WorkerScaling(2, 3);
    assertEquals(WorkerScaling.Action.GROW, rounds(scaling, WorkerScaling.SAMPLES, 1.0, 0.9));
    assertEquals(3, scaling.target());
    scaling.ready();
    assertEquals(WorkerScaling.Action.SWITCH, rounds(scaling, WorkerScaling.SAMPLES, 1.0, 0.9));
    scaling.grown(3);
    assertEquals(WorkerScaling.Action.NONE, rounds(scaling, WorkerScaling.SAMPLES, 0.6, 0.9));
    assertTrue(scaling.settled());
    assertFalse(scaling.reason().isEmpty());
  }

  /**
   * Where the busiest worker's pulls and pushes outgrow its compute, the shards saturate: more workers would only load
   * them more, and a training whose shards were set says it can not add shards.
   */
  @Test
  void settlesWhereTheShardsSaturate() {
    WorkerScaling scaling = new WorkerScaling(4, 64);
    assertEquals(WorkerScaling.Action.NONE, exchanging(scaling, 0.2, 0.12));
    assertTrue(scaling.settled());
    assertTrue(scaling.reason().contains("spent 0.120 s of its 0.200 s a pass pulling and pushing, the shards saturate"),
        scaling.reason());
    assertTrue(scaling.reason().contains(WorkerScaling.FIXED_SHARDS), scaling.reason());
  }

  /** A doubling whose compute halved but whose pulls and pushes grew as much goes back, blaming the shards. */
  @Test
  void goesBackWhereTheNewWorkersWaitForTheShards() {
    WorkerScaling scaling = new WorkerScaling(8, 64);
    doubled(scaling, 0.2, 0.05, 0.2, 0.05, 16);
    assertEquals(WorkerScaling.Action.SHRINK, exchanging(scaling, 0.16, 0.11));
    assertEquals(8, scaling.target());
    assertTrue(scaling.reason().contains("pulls and pushes took 0.110 s against 0.050 s, the shards saturate"),
        scaling.reason());
  }

  /**
   * Where the shards saturate and the driver may start more, it doubles them and measures the same workers again; the
   * pulls and pushes cut by half, the workers double again.
   */
  @Test
  void doublesTheShardsWhereTheySaturateThenTheWorkers() {
    WorkerScaling scaling = new WorkerScaling(4, 64, 1, 8, "at most 8");
    assertEquals(WorkerScaling.Action.NONE, exchanging(scaling, 0.2, 0.12));
    assertEquals(2, scaling.shards());
    assertTrue(scaling.reason().contains("spent 0.120 s of its 0.200 s a pass pulling and pushing, the shards"
        + " saturate"), scaling.reason());
    assertEquals(WorkerScaling.Action.NONE, exchanging(scaling, 0.5, 0.4), "rounds while they start count not");
    scaling.shardsStarted();
    assertEquals(WorkerScaling.Action.NONE, exchanging(scaling, 0.5, 0.4), "the new shards' warming up counts not");
    assertEquals(WorkerScaling.Action.GROW, exchanging(scaling, 0.14, 0.06));
    assertEquals(8, scaling.target());
  }

  /**
   * Where the busiest worker's part is a small share of a pass (the driver's part dominates), its pulls and pushes are
   * not what the pass waits on: no shards are added, and the count settles.
   */
  @Test
  void addsNoShardsWhereThePassIsNotTheWorkers() {
    WorkerScaling scaling = new WorkerScaling(2, 64, 1, 8, "at most 8");
    WorkerScaling.Action action = WorkerScaling.Action.NONE;
    for (int r = 0; r < WorkerScaling.SAMPLES; r++) {
      action = scaling.observe(0.166, 0.052, 0.024, 1.0);
    }
    assertEquals(WorkerScaling.Action.NONE, action);
    assertEquals(1, scaling.shards());
    assertTrue(scaling.settled());
    assertTrue(scaling.reason().contains("the busiest worker's part is only 31% of a pass"), scaling.reason());
  }

  /** Twice the shards that do not cut the busiest worker's pulls and pushes by a quarter settle the count. */
  @Test
  void settlesWhereMoreShardsDoNotHelp() {
    WorkerScaling scaling = new WorkerScaling(4, 64, 1, 8, "at most 8");
    assertEquals(WorkerScaling.Action.NONE, exchanging(scaling, 0.2, 0.12));
    scaling.shardsStarted();
    exchanging(scaling, 0.2, 0.11); // warming up
    assertEquals(WorkerScaling.Action.NONE, exchanging(scaling, 0.2, 0.11));
    assertTrue(scaling.settled());
    assertTrue(scaling.reason().contains("with 2 shards the busiest worker's pulls and pushes took 0.110 s a pass"
        + " against 0.120 s with 1, not 25% less: more shards do not help"), scaling.reason());
    assertEquals(1, scaling.shards(), "back to one shard");
    assertEquals(4, scaling.workers());
  }

  /**
   * A doubling that failed because the shards saturated is judged again over twice the shards: one that failed again
   * goes back, saying more shards did not help; one whose pass then fell enough keeps its workers and doubles on.
   */
  @Test
  void aDoublingTheShardsFailedIsJudgedAgainOverTwiceTheShards() {
    WorkerScaling scaling = resliceAFailedDoubling();
    assertEquals(WorkerScaling.Action.SHRINK, exchanging(scaling, 0.16, 0.11));
    assertEquals(8, scaling.target());
    assertEquals(1, scaling.shards(), "back to one shard");
    assertTrue(scaling.reason().endsWith("the shards saturate, over 2 shards as over 1"), scaling.reason());

    WorkerScaling kept = resliceAFailedDoubling();
    assertEquals(WorkerScaling.Action.GROW, exchanging(kept, 0.12, 0.045));
    assertEquals(2, kept.shards());
    assertEquals(16, kept.workers());
    assertEquals(32, kept.target());
  }

  /**
   * A scaling whose doubling from 8 to 16 workers failed because the shards saturated, and that asked for a second
   * shard, which started and warmed up: the trial is judged again at its next rounds.
   */
  private static WorkerScaling resliceAFailedDoubling() {
    WorkerScaling scaling = new WorkerScaling(8, 64, 1, 2, "at most 2 shards");
    doubled(scaling, 0.2, 0.05, 0.2, 0.05, 16);
    assertEquals(WorkerScaling.Action.NONE, exchanging(scaling, 0.16, 0.11));
    assertEquals(2, scaling.shards());
    scaling.shardsStarted();
    exchanging(scaling, 0.16, 0.11); // warming up
    return scaling;
  }

  /**
   * A doubling whose pulls and pushes were near half the part already and then grew to outweigh its compute blames the
   * shards, though halving the compute alone would not have paid (a fresh-clone CI run: 64 workers took 0.494 s a
   * pass against 0.230 s with 32, and the driver went back without a shard).
   */
  @Test
  void aDoublingWhosePullsAndPushesOutweighItsComputeBlamesTheShards() {
    WorkerScaling scaling = new WorkerScaling(32, 64, 1, 8, "at most 8");
    doubled(scaling, 0.181, 0.078, 0.230, 0.127, 64);
    assertEquals(WorkerScaling.Action.NONE, exchanging(scaling, 0.494, 0.443));
    assertEquals(2, scaling.shards(), "the trial's failure is the shards'");
    assertTrue(scaling.reason().endsWith("the shards saturate"), scaling.reason());
  }

  /**
   * Doubles {@code scaling}'s workers to {@code count}: measured at {@code part} s with {@code exchange} of it pulling
   * and pushing, then the baseline at {@code baselinePart} and {@code baselineExchange} once the new ones are ready.
   */
  private static void doubled(WorkerScaling scaling, double part, double exchange, double baselinePart,
      double baselineExchange, int count) {
    assertEquals(WorkerScaling.Action.GROW, exchanging(scaling, part, exchange));
    scaling.ready();
    assertEquals(WorkerScaling.Action.SWITCH, exchanging(scaling, baselinePart, baselineExchange));
    scaling.grown(count);
  }

  /** {@value WorkerScaling#SAMPLES} rounds whose busiest worker takes {@code part} s, {@code exchange} s of them pulling and pushing. */
  private static WorkerScaling.Action exchanging(WorkerScaling scaling, double part, double exchange) {
    WorkerScaling.Action action = WorkerScaling.Action.NONE;
    for (int r = 0; r < WorkerScaling.SAMPLES; r++) {
      action = scaling.observe(part * 1.1, part, part - exchange, 1.0);
    }
    return action;
  }
}
