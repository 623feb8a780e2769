package dev.stratus.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.dataset.DatasetWriter;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearObjective;
import dev.stratus.ps.Optimizer;
import dev.stratus.store.EmbeddedS3Server;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workers the driver chooses where each has a core of its own, as on Lambda, which this two-core machine can not
 * give: a simulated service runs every worker as a thread whose gradient costs what a big training set's would, as a
 * sleep that the worker's clock counts as computing on a core, beside a real shard process that every worker pulls
 * the point from and pushes its sums to. The shard's load grows with the workers while their compute shrinks, so a
 * pass stops getting faster where the shard saturates; there the driver, choosing the shards too, starts a second
 * shard process and slices the rounds after over both.
 */
@Timeout(180)
class ScaleOutTest {
  /**
   * Simulated compute a pass over the whole training set: what one worker would take for it. At 1.6 s a README build,
   * the runner's Beam suites beside it on the same two cores, slowed the real shard enough that 4 workers were not a
   * quarter faster than 2.
   */
  private static final double PASS_SECONDS = 3.2;
  /**
   * Every worker pulls and pushes a value a feature and class: 400 classes of 1,000 features load the shard with
   * 1.6 MB each way a worker, enough that it saturates before twice the workers stop paying for their start (at 200
   * classes a CI run went to 32 workers and settled there on that), while the real computing (a softmax over the
   * classes a row) stays a few percent of the simulated.
   */
  private static final int CLASSES = 400;
  private static final int FEATURES = 1_000;
  private static final int ROWS = 8_000;
  /** One per partition at most: room for 32 workers and their doubling. */
  private static final int PARTITIONS = 64;

  @TempDir Path dir;

  @Test
  void scalesOutToEightWorkersOrMoreAndAddsAShardWhereTheShardSaturates() throws Exception {
    PlantedData planted = new PlantedData(FEATURES, CLASSES, ROWS, 2_000, 11);
    SparseRow[] validation = planted.test.toArray(new SparseRow[0]);
    TrainResult result;
    List<String> lines = new CopyOnWriteArrayList<>();
    try (EmbeddedS3Server server = EmbeddedS3Server.start(dir)) {
      ObjectStore store = ObjectStore.of(server.spec());
      store.ensureBucket("training");
      Dataset train = DatasetWriter.write(store, S3Path.parse("s3://training/planted/train"), planted.train,
          DatasetManifest.template(FEATURES, List.of(), "planted", null), ROWS / PARTITIONS);
      double secondsPerRow = PASS_SECONDS / planted.train.size();
      TrainingSpec spec = new TrainingSpec(TrainingSpec.AUTO_WORKERS, TrainingSpec.AUTO_SHARDS, 512, Optimizer.ADAGRAD, 0.05f, 20,
          1e-5f, 1e-6, 5, 120, 0, 0, 4, 7, false, 600, 3, true, null,
          new LinearObjective(LinearLoss.MULTINOMIAL, CLASSES), 0, Solver.LBFGS);
      try (Shards shards = Shards.processes(1, "512m", false, null, null, 0);
          ThreadWorkers workers = new ThreadWorkers(512, new OwnCoreClock(secondsPerRow))) {
        TrainingDriver[] job = new TrainingDriver[1];
        job[0] = new TrainingDriver(spec, store, store.reachableSpec(), train, validation, shards, workers, line -> {
          System.out.println(line);
          lines.add(line);
          // the count settled, or went back to where it settles: nothing more to see
          if (line.contains("workers settle at")
              || line.matches(".*workers \\d+ -> \\d+: .*") && !line.contains("the new ones")) {
            job[0].stop(StopReason.TIMEOUT); // as if its time were up
          }
        });
        try (TrainingDriver driver = job[0]) {
          result = driver.run(S3Path.parse("s3://training/models/scale-out"));
        }
      }
    }
    System.out.println("scaling: " + result.scaling());
    assertTrue(result.keptWorkers() >= 8, "kept " + result.keptWorkers() + ": " + result.scaling());
    ScalingDecision resharded = result.scaling().stream()
        .filter(d -> d.resource() == ScalingDecision.Resource.SHARDS).findFirst().orElseThrow(
            () -> new AssertionError("no shard was added: " + result.scaling()));
    assertEquals(1, resharded.from());
    assertEquals(2, resharded.to());
    assertTrue(resharded.reason().contains("the shards saturate"), resharded.describe());
    ScalingDecision last = result.scaling().stream().filter(d -> d.resource() == ScalingDecision.Resource.WORKERS)
        .reduce((a, b) -> b).orElseThrow();
    assertTrue(last.reason().contains("the shards saturate") || last.reason().contains("more shards do not help"),
        last.describe());
    assertEquals(result.keptWorkers(), last.to());
    // the solve goes on over both shards (GradientRoundsTest holds their sums to the exact gradient), no round lost
    CurvePoint end = result.curve().get(result.curve().size() - 1);
    assertTrue(end.updates() >= resharded.updates() + WorkerScaling.SAMPLES, "passes after the re-slicing: "
        + result.curve());
    assertTrue(lines.stream().noneMatch(line -> line.contains("abandoned")), String.join("\n", lines));
  }
}
