package dev.stratus.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.jobs.search.ExperimentResult;
import dev.stratus.jobs.search.Scheduler;
import dev.stratus.jobs.search.SearchResult;
import dev.stratus.jobs.train.StopReason;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.kernels.reference.Liblinear;
import dev.stratus.kernels.sgd.LinearModel;
import dev.stratus.store.S3Path;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.SerializableUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hyperparameter searches on the DirectRunner against real in-process shards and worker threads, on data from a
 * planted sparse logistic model; the best experiment is held to the optimum liblinear finds on the same split.
 */
@Timeout(300)
class GridSearchTest {
  static final String ROOT = "s3://tests/search";
  private static final int FEATURES = 2_000;
  /** Within 2% of the exact solver's test logloss. */
  private static final double BAR = 1.02;

  static SparseRow[] testRows;
  static double optimum;

  @BeforeAll
  static void writeData() throws Exception {
    PlantedData data = new PlantedData(FEATURES, 40_000, 10_000, 2024);
    List<SparseRow> test = DataTesting.writePlanted(ROOT, data);
    testRows = test.toArray(new SparseRow[0]);
    optimum = Liblinear.bestOf(data.train, test, 0.1, 1, 10).test().loss();
  }

  static LogisticRegression base(Pipeline p) {
    return LogisticRegression.withValidationSet(p.apply("Validation", ReadDataset.from(ROOT + "/validation")))
        .workers(2)
        .l2(0f)
        .epsilon(1e-4)
        .window(6)
        .evalInterval(Duration.ofMillis(200))
        .timeout(Duration.ofSeconds(30));
  }

  /** Runs the search {@code build} makes of a base training on {@code pipeline}, and returns its result. */
  static SearchResult search(
      Pipeline p, Function<LogisticRegression, HyperparameterSearch<?>> build, String name) {
    String saved = ROOT + "/results/" + name;
    p.apply("Train", ReadDataset.from(ROOT + "/train"))
        .apply(build.apply(base(p)).modelsTo(ROOT + "/models/" + name + "/"))
        .apply(ParDo.of(new Save<>(saved)));
    p.run().waitUntilFinish();
    return (SearchResult)
        SerializableUtils.deserializeFromByteArray(DataTesting.store().get(S3Path.parse(saved)), "search result");
  }

  static double testLoss(String modelPath) {
    LinearModel model = LinearModel.fromBytes(DataTesting.store().get(S3Path.parse(modelPath)), modelPath);
    return model.evaluate(testRows).loss();
  }

  static void assertRanked(SearchResult result) {
    List<ExperimentResult> experiments = result.experiments();
    for (int i = 1; i < experiments.size(); i++) {
      assertTrue(experiments.get(i - 1).bestValidationLoss() <= experiments.get(i).bestValidationLoss()
              || !Double.isFinite(experiments.get(i).bestValidationLoss()),
          "ranked by best validation loss:\n" + result.table());
    }
    assertEquals(experiments.get(0).modelPath(), result.bestModelPath());
  }

  @Test
  void divergingLearningRatesStopEarlyAndTheBestMeetsTheTrainingBar() {
    SearchResult result =
        search(
            DataTesting.pipeline(),
            base -> GridSearch.of(base)
                .vary("learningRate", 0.1, 0.2, 0.3, 0.5, 40.0, 80.0)
                .parallelism(2)
                .scheduler(Scheduler.stopDiverged(3)),
            "grid");
    System.out.println(result.table());
    assertEquals(6, result.experiments().size());
    assertRanked(result);
    List<ExperimentResult> diverged =
        result.experiments().stream().filter(e -> e.stopReason() == StopReason.DIVERGED).toList();
    assertEquals(
        List.of(40.0, 80.0),
        diverged.stream().map(e -> e.parameters().get("learningRate").doubleValue()).sorted().toList(),
        result.table());
    long slowestConverged =
        result.experiments().stream()
            .filter(e -> e.stopReason() == StopReason.CONVERGED)
            .mapToLong(ExperimentResult::updates)
            .max()
            .orElseThrow(() -> new AssertionError("nothing converged:\n" + result.table()));
    for (ExperimentResult e : diverged) {
      assertTrue(e.updates() < slowestConverged, "a diverged experiment stopped early:\n" + result.table());
      assertTrue(e.cost() > 0 && e.requests() >= 2, result.table());
    }
    double best = testLoss(result.bestModelPath());
    System.out.printf("best experiment: test logloss %.5f, liblinear optimum %.5f (ratio %.4f)%n", best, optimum,
        best / optimum);
    assertTrue(best <= optimum * BAR, "best test logloss " + best + " vs optimum " + optimum);
    String json =
        new String(DataTesting.store().get(S3Path.parse(result.resultPath())), StandardCharsets.UTF_8);
    assertTrue(json.contains("\"state\" : \"diverged\"") && json.contains(result.bestModelPath()), json);
    assertTrue(result.resultPath().startsWith(ROOT + "/models/grid/"), result.resultPath());
  }

  @Test
  void successiveHalvingStopsHalfAtTheFirstRungAndSpendsFarFewerUpdates() {
    // Eight learning rates, each trained for at most ten epochs (20,000 updates of 20 rows); rungs at 2,000, 4,000,
    // 8,000 and 16,000 updates, keeping the best half at each.
    Function<LogisticRegression, HyperparameterSearch<?>> grid =
        base -> GridSearch.of(base.epochs(10).evalInterval(Duration.ofMillis(100)))
            .vary("learningRate", 0.5, 0.2, 1.0, 0.05, 2.0, 0.1, 0.02, 0.3)
            .parallelism(2);
    Scheduler.SuccessiveHalving halving = new Scheduler.SuccessiveHalving(2_000, 2, 0);
    SearchResult halved =
        search(DataTesting.pipeline(), base -> grid.apply(base).scheduler(halving), "halving");
    SearchResult full = search(DataTesting.pipeline(), grid, "no-halving");
    System.out.println("with successive halving:\n" + halved.table() + "\nwithout:\n" + full.table());
    assertEquals(8, halved.experiments().size());
    assertRanked(halved);
    // A halved experiment's curve ends at the evaluation that halved it; its updates at the end overshoot that point
    // by whatever its workers did while stopping, so the rung is read from the curve.
    long atFirstRung =
        halved.experiments().stream()
            .filter(e -> e.stopReason() == StopReason.HALVED
                && e.curve().stream().filter(p -> p.updates() >= halving.rung(0)).count() == 1)
            .count();
    assertTrue(atFirstRung >= 4, atFirstRung + " stopped at the first rung:\n" + halved.table());
    assertTrue(halved.updates() < 0.6 * full.updates(),
        halved.updates() + " updates with halving, " + full.updates() + " without");
    ExperimentResult best = halved.best();
    assertTrue(best.stopReason() != StopReason.HALVED, "the best went on to the end:\n" + halved.table());
  }

  @Test
  void aRandomSearchRunsItsSeededDrawsAllAtOnce() {
    RandomSearch random =
        RandomSearch.of(base(DataTesting.pipeline()))
            .logRange("learningRate", 0.1, 0.5)
            .range("minibatchSize", 10, 40)
            .samples(3)
            .seed(5);
    SearchResult result =
        search(
            DataTesting.pipeline(),
            base -> RandomSearch.of(base.epochs(2))
                .logRange("learningRate", 0.1, 0.5)
                .range("minibatchSize", 10, 40)
                .samples(3)
                .seed(5)
                .parallelism(3),
            "random");
    System.out.println(result.table());
    assertEquals(3, result.parallelism());
    assertRanked(result);
    assertEquals(
        random.experiments().stream().map(e -> e.parameters()).sorted(java.util.Comparator.comparing(Object::toString))
            .toList(),
        result.experiments().stream().map(ExperimentResult::parameters)
            .sorted(java.util.Comparator.comparing(Object::toString)).toList(),
        "the experiments run are the seeded draws");
    for (ExperimentResult e : result.experiments()) {
      assertTrue(e.updates() > 0 && e.curve().size() >= 2, result.table());
    }
  }

  /**
   * A search's deadline: a grid of four at two at a time, each allowed 30 s, ends about two seconds after it starts,
   * every experiment having run its share of them (about one second) and stopped with its best model so far, as
   * {@code timeout} at its share or {@code budget} at the deadline itself.
   */
  @Test
  void aDeadlineIsSharedByEveryExperimentAndEndsTheSearchWithTheBestModelSoFar() {
    SearchResult result = search(DataTesting.pipeline(),
        base -> GridSearch.of(base).vary("learningRate", 0.1, 0.2, 0.3, 0.5).parallelism(2)
            .deadline(Duration.ofSeconds(2)),
        "deadline");
    System.out.println(result.table());
    assertTrue(result.seconds() < 10, "the search ran " + result.seconds() + " s, its deadline 2 s");
    for (ExperimentResult e : result.experiments()) {
      assertTrue(e.updates() > 0, "every experiment ran: " + result.table());
      assertTrue(e.stopReason() == StopReason.TIMEOUT || e.stopReason() == StopReason.BUDGET, result.table());
    }
    assertTrue(testLoss(result.bestModelPath()) < Math.log(2), "the best model so far learned something");
  }

  /** Saves the one element it sees to the store, Java-serialized, for the test to read after the run. */
  static final class Save<T extends Serializable> extends StoreDoFn<T, Void> {
    private final String location;

    Save(String location) {
      this.location = location;
    }

    @DoFn.ProcessElement
    public void process(@Element T element) {
      store.put(S3Path.parse(location), SerializableUtils.serializeToByteArray(element));
    }
  }
}
