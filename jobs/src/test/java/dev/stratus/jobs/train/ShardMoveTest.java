package dev.stratus.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.dataset.DatasetWriter;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.kernels.reference.Liblinear;
import dev.stratus.ps.Optimizer;
import dev.stratus.store.EmbeddedS3Server;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An SGD training that chooses its shards moves its model onto twice them where they saturate, while it trains: its
 * workers pause where they are, the model is copied with its optimizer's state and clock, and they go on from there
 * over all the shards, nothing lost or redone; a driver that takes over after the move does so on all of them.
 *
 * <p>No shard saturates on this two-core machine before its cores do (the workers share them), so these trainings
 * count the shards saturated from any load on ({@link TrainingDriver#shardsSaturatedAt}); what the controller
 * decides on real loads is {@link SgdScalingTest}'s.
 */
@Timeout(240)
class ShardMoveTest {
  private static final int FEATURES = 2_000;
  /** Within 2% of the exact solver's logloss. */
  private static final double BAR = 1.02;
  private static final Pattern MOVED = Pattern.compile("model moved onto 2 shards at ([0-9,]+) updates: .*");

  @TempDir static Path dir;
  static EmbeddedS3Server server;
  static ObjectStore store;
  static Dataset train;
  static SparseRow[] validation;
  static double optimum;

  @BeforeAll
  static void data() throws Exception {
    server = EmbeddedS3Server.start(dir);
    store = ObjectStore.of(server.spec());
    store.ensureBucket("training");
    PlantedData data = new PlantedData(FEATURES, 40_000, 10_000, 2024);
    validation = data.test.toArray(new SparseRow[0]);
    train = DatasetWriter.write(store, S3Path.parse("s3://training/planted/train"), data.train,
        DatasetManifest.template(FEATURES, List.of(), "planted", null), 4_000);
    optimum = Liblinear.bestOf(data.train, data.test, 0.1, 1, 10).test().loss();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** No count of workers or shards set; AdaGrad at 0.2, near this data's optimum in seconds; never converged. */
  private static TrainingSpec spec() {
    return new TrainingSpec(TrainingSpec.AUTO_WORKERS, TrainingSpec.AUTO_SHARDS, 512, Optimizer.ADAGRAD, 0.2f, 20, 0f,
        0, 6, 120, 200, 0, 4, 7, false, 600, 3);
  }

  /**
   * The move, and a driver taking over after it: the first driver stops without closing, leaving its resume point and
   * its shards' snapshots as one that died does (and its stop key, which one that died stopping leaves too); the next
   * starts the shard it added again from its snapshots and goes on with the model sliced over both.
   */
  @Test
  void aTrainingWhoseShardSaturatesMovesItsModelOntoTwoGoesOnWhereItWasAndIsTakenOverThere() throws Exception {
    S3Path checkpoint = S3Path.parse("s3://training/moved-" + System.nanoTime() + "/");
    // four workers, though on two cores a trial of two or four does not pay: the shard's move is tried then
    try (Shards shards = Shards.processes(1, "256m", false, checkpoint, store.reachableSpec(), 1);
        ThreadWorkers threads = new ThreadWorkers(512)) {
      List<String> lines = new CopyOnWriteArrayList<>();
      TrainingDriver[] first = new TrainingDriver[1];
      first[0] = new TrainingDriver(spec(), store, store.reachableSpec(), train, validation, shards,
          new RecordingLauncher(threads, 4, new CopyOnWriteArrayList<>()), line -> {
            System.out.println(line);
            lines.add(line);
          }).shardsSaturatedAt(0).resumable().observeScaling(decision -> {
            if (lines.stream().anyMatch(line -> MOVED.matcher(line).matches())) { // the trial measured on 2 shards
              CompletableFuture.runAsync(() -> first[0].stop(StopReason.TIMEOUT), // its time up 1 s after
                  CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS));
            }
          });
      try {
        TrainResult result = first[0].run(S3Path.parse("s3://training/models/moved-" + System.nanoTime()));
        long updatesAtMove = assertMovedLosingNothing(result, lines);
        S3Path at = ResumePoint.at(checkpoint);
        assertEquals(List.of(1), ResumePoint.decode(store.get(at), at).addedShards());

        List<String> resumedLines = new CopyOnWriteArrayList<>();
        TrainResult resumed;
        TrainingDriver[] next = new TrainingDriver[1];
        next[0] = new TrainingDriver(spec(), store, store.reachableSpec(), train, validation, shards,
            new ThreadWorkers(512), line -> {
              System.out.println("taking over: " + line);
              resumedLines.add(line);
              if (line.startsWith("resuming from the snapshots")) {
                CompletableFuture.runAsync(() -> next[0].stop(StopReason.TIMEOUT),
                    CompletableFuture.delayedExecutor(3, TimeUnit.SECONDS));
              }
            }).resumingFromSnapshots();
        try (TrainingDriver driver = next[0]) {
          resumed = driver.run(S3Path.parse("s3://training/models/moved-resumed"));
        }
        assertTrue(resumed.resumedAtUpdates() > updatesAtMove,
            "resumed at " + resumed.resumedAtUpdates() + ", the move was at " + updatesAtMove);
        assertTrue(resumed.curve().get(0).validationLoss() <= optimum * BAR,
            "the first evaluation is of the model both shards restored: " + resumed.curve().get(0) + " against "
                + optimum);
        assertTrue(resumed.updates() > resumed.resumedAtUpdates(), "its workers trained on: " + resumedLines);
      } finally {
        first[0].close(); // stops the shard it added
      }
    }
  }

  /** Holds a training that moved its model onto 2 shards to it; returns the updates it had then. */
  private static long assertMovedLosingNothing(TrainResult result, List<String> lines) {
    ScalingDecision move = result.scaling().stream()
        .filter(decision -> decision.resource() == ScalingDecision.Resource.SHARDS).findFirst()
        .orElseThrow(() -> new AssertionError("no shards decided: " + result.scaling()));
    assertEquals(1, move.from(), move.describe());
    assertEquals(2, move.to(), move.describe());
    assertTrue(move.reason().contains("the shards saturate (shard 0's loops"), move.reason());
    assertTrue(move.reason().contains("moving the model onto 2 and trying"), move.reason());
    long updatesAtMove = updatesAtMove(lines);
    // the trial's workers were measured again on the two shards, against the count kept before
    ScalingDecision next = result.scaling().get(result.scaling().indexOf(move) + 1);
    assertTrue(next.atSeconds() > move.atSeconds() && next.reason().contains(" against "), next.describe());

    // the copy kept every update: the clock never goes back, and training went on past it
    List<CurvePoint> curve = result.curve();
    for (int i = 1; i < curve.size(); i++) {
      assertTrue(curve.get(i).updates() >= curve.get(i - 1).updates(), "the clock went back: " + curve);
    }
    assertTrue(result.updates() > updatesAtMove, result.updates() + " updates, " + updatesAtMove + " at the move");
    // and the optimizer's state: AdaGrad's first steps from scratch at 0.2 would throw the model off its optimum
    CurvePoint after = curve.stream().filter(point -> point.updates() > updatesAtMove).findFirst().orElseThrow();
    assertTrue(after.validationLoss() <= optimum * BAR,
        "first evaluation after the move " + after + " against liblinear's " + optimum);

    // every worker paused where it was and its successor began there
    boolean startedAgain = false;
    for (int w = 0; w < result.keptWorkers(); w++) {
      List<GenerationRecord> generations = result.generationsOf(w);
      for (int g = 1; g < generations.size(); g++) {
        GenerationRecord before = generations.get(g - 1);
        assertEquals(GenerationRecord.Ending.HANDED_OVER, before.ending(), "worker " + w + ": " + generations);
        assertEquals(before.end(), generations.get(g).start(), "worker " + w + ": " + generations);
        startedAgain |= generations.get(g).launchedAt() >= move.atSeconds();
      }
    }
    assertTrue(startedAgain, "no worker started again after the move: " + result.generations());
    return updatesAtMove;
  }

  /** The updates the model had when the console said it moved onto 2 shards. */
  private static long updatesAtMove(List<String> lines) {
    for (String line : lines) {
      Matcher moved = MOVED.matcher(line);
      if (moved.matches()) {
        return Long.parseLong(moved.group(1).replace(",", ""));
      }
    }
    throw new AssertionError("the console never said the model moved: " + lines);
  }
}
