package dev.stratus.jobs.train;

import static dev.stratus.jobs.train.ScalingDecision.Resource.SHARDS;
import static dev.stratus.jobs.train.ScalingDecision.Resource.WORKERS;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The worker and shard counts a training kept, from the decisions its driver made. */
class TrainResultTest {
  private static TrainResult decided(ScalingDecision... decisions) {
    return new TrainResult("s3://b/m", null, List.of(), StopReason.CONVERGED, 0, 0, new StepTimes(), 0, List.of(),
        List.of(), -1, Solver.LBFGS, List.of(decisions));
  }

  @Test
  void theKeptCountIsTheLastDecisionsUnlessItsTrialWasCutShort() {
    ScalingDecision grew = new ScalingDecision(1, 0, WORKERS, 2, 4, "compute-bound");
    assertEquals(0, decided().keptWorkers(), "a count set by hand");
    assertEquals(2, decided(new ScalingDecision(1, 0, WORKERS, 2, 2, "waiting for cores")).keptWorkers());
    assertEquals(2, decided(grew, new ScalingDecision(2, 0, WORKERS, 4, 2, "not a quarter faster")).keptWorkers());
    assertEquals(4, decided(grew, new ScalingDecision(3, 0, WORKERS, 4, 4, "a worker per partition")).keptWorkers());
    assertEquals(2, decided(grew).keptWorkers(), "the training ended before the 4 workers' trial did");
    assertEquals(4, decided(grew, new ScalingDecision(3, 0, WORKERS, 4, 8, "compute-bound")).keptWorkers(),
        "a second doubling cut short: the first was kept");
    ScalingDecision resharded = new ScalingDecision(4, 0, SHARDS, 1, 2, "the shards saturate");
    assertEquals(4, decided(grew, new ScalingDecision(3, 0, WORKERS, 4, 4, "settled"), resharded).keptWorkers(),
        "a decision on the shards after the workers settled");
    assertEquals(2, decided(grew, resharded).keptShards());
    assertEquals(1, decided(grew, resharded, new ScalingDecision(5, 0, SHARDS, 2, 1, "no help")).keptShards());
    assertEquals(0, decided(grew).keptShards());
  }
}
