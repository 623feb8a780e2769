package dev.stratus.transforms.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.ps.Optimizer;
import dev.stratus.store.EmbeddedS3Server;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.transforms.data.SparseRow;
import dev.stratus.transforms.dataset.Dataset;
import dev.stratus.transforms.dataset.DatasetManifest;
import dev.stratus.transforms.dataset.DatasetWriter;
import dev.stratus.transforms.reference.Liblinear;
import dev.stratus.transforms.sgd.PlantedData;
import dev.stratus.transforms.sgd.LogisticModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trains against real parameter-server shards on loopback, on data from a planted sparse logistic model, and holds
 * the result to the optimum that liblinear finds on the same split.
 */
@Timeout(240)
class LocalTrainingTest {
  private static final int FEATURES = 2_000;
  /** Within 2% of the exact solver's test logloss. */
  private static final double BAR = 1.02;

  @TempDir static Path dir;
  static EmbeddedS3Server server;
  static ObjectStore store;
  static Dataset train;
  static List<SparseRow> testRows;
  static double optimum;

  @BeforeAll
  static void data() throws Exception {
    server = EmbeddedS3Server.start(dir);
    store = ObjectStore.of(server.spec());
    store.ensureBucket("training");
    PlantedData data = new PlantedData(FEATURES, 40_000, 10_000, 2024);
    testRows = data.test;
    train =
        DatasetWriter.write(
            store,
            S3Path.parse("s3://training/planted/train"),
            data.train,
            DatasetManifest.template(FEATURES, List.of(), "planted", null),
            4_000);
    optimum = Liblinear.bestOf(data.train, data.test, 0.1, 1, 10).test().logloss();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static TrainingSpec spec(int workers, int shards) {
    return spec(workers, shards, 512, false);
  }

  private static TrainingSpec spec(int workers, int shards, int workerMemoryMb, boolean processes) {
    return new TrainingSpec(
        workers, shards, workerMemoryMb, Optimizer.ADAGRAD, 0.05f, 20, 0f, 1e-4, 6, 120, 200, 0, 4, 7, processes);
  }

  private TrainResult train(TrainingSpec spec, java.util.function.Consumer<LocalTraining> during) throws Exception {
    try (LocalTraining job = new LocalTraining(spec, store, train, testRows.toArray(new SparseRow[0]))) {
      if (during != null) {
        Thread chaos = new Thread(() -> during.accept(job));
        chaos.start();
      }
      return job.run(S3Path.parse("s3://training/models/m-" + System.nanoTime()));
    }
  }

  private static void assertMeetsTheBar(TrainResult result) {
    double loss = result.finalMetrics().logloss();
    System.out.printf(
        "test logloss %.5f (liblinear optimum %.5f, ratio %.4f), %s after %.1f s, %d updates, %d generations%n",
        loss, optimum, loss / optimum, result.stopReason(), result.curve().get(result.curve().size() - 1).seconds(),
        result.updates(), result.workerGenerations());
    assertTrue(
        loss <= optimum * BAR,
        "test logloss " + loss + " is not within 2% of liblinear's optimum " + optimum + " (" + result.stopReason() + ")");
  }

  @Test
  void oneWorkerReachesTheOptimum() throws Exception {
    TrainResult result = train(spec(1, 1), null);
    assertMeetsTheBar(result);
    assertEquals(StopReason.CONVERGED, result.stopReason());
    assertTrue(result.curve().size() > 3);
    LogisticModel saved = LogisticModel.fromBytes(store.get(S3Path.parse(result.modelPath())), result.modelPath());
    assertEquals(result.finalMetrics().logloss(), saved.evaluate(testRows.toArray(new SparseRow[0])).logloss(), 1e-9);
    assertTrue(result.stepTimes().iterations() > 1000);
  }

  @Test
  void fourWorkersOnTwoShardsReachTheOptimum() throws Exception {
    TrainResult result = train(spec(4, 2), null);
    assertMeetsTheBar(result);
    assertEquals(4, result.workerGenerations());
  }

  @Test
  void aKilledWorkerIsReplacedAndTheJobStillMeetsTheBar() throws Exception {
    TrainResult result =
        train(
            spec(2, 1),
            job -> {
              try {
                Thread.sleep(400);
              } catch (InterruptedException e) {
                return;
              }
              job.killWorker(0);
            });
    assertMeetsTheBar(result);
    assertTrue(result.workerGenerations() >= 3, "generations " + result.workerGenerations());
  }

  @Test
  void workerProcessesOf128MbSurviveAKillAndMeetTheBar() throws Exception {
    TrainResult result =
        train(
            spec(2, 1, 128, true),
            job -> {
              try {
                Thread.sleep(3000);
              } catch (InterruptedException e) {
                return;
              }
              job.killWorker(1);
            });
    assertMeetsTheBar(result);
    assertTrue(result.workerGenerations() >= 3, "generations " + result.workerGenerations());
    assertTrue(result.stepTimes().iterations() > 1000, "iterations " + result.stepTimes().iterations());
  }
}
