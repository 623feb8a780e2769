package dev.stratus.dsl;

import static dev.stratus.dsl.LambdaTrainingSetup.FUNCTION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.jobs.search.ExperimentResult;
import dev.stratus.jobs.search.Scheduler;
import dev.stratus.jobs.search.SearchResult;
import dev.stratus.jobs.train.StopReason;
import dev.stratus.kernels.sgd.LinearModel;
import dev.stratus.runner.lambda.LambdaRunner;
import dev.stratus.store.S3Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.SerializableUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A grid search on LambdaRunner as a user runs it: the local Lambda service with process environments, the search's
 * shared parameter-server shards as processes, each experiment's workers as invocations of the worker function.
 */
@Timeout(300)
class HyperparameterSearchOnWorkersTest {
  private static final String ROOT = "s3://tests/search-on-workers";
  /** Within 2% of the exact solver's test logloss. */
  private static final double BAR = 1.02;

  static LambdaTrainingSetup setup;

  @BeforeAll
  static void startLambdaAndWriteData() {
    setup = LambdaTrainingSetup.start(ROOT, 8);
  }

  @AfterAll
  static void stopLambda() {
    setup.close();
  }

  @Test
  void experimentsRunAsLambdaWorkersAgainstSharedShards() {
    LambdaTrainingSetup.StoreOptionsAndRunner options = setup.options();
    Pipeline p = Pipeline.create(options);
    LogisticRegression base =
        LogisticRegression.withValidationSet(p.apply("Validation", ReadDataset.from(ROOT + "/validation")))
            .workers(2)
            .psShards(2)
            .l2(0f)
            .epsilon(1e-4)
            .window(6)
            .evalInterval(Duration.ofMillis(250))
            .timeout(Duration.ofSeconds(90));
    String saved = ROOT + "/result";
    long invocationsBefore = setup.lambda().stats(FUNCTION).invocations();
    p.apply("Train", ReadDataset.from(ROOT + "/train"))
        .apply(
            GridSearch.of(base)
                .vary("learningRate", 0.2, 0.3, 40.0)
                .parallelism(2)
                .scheduler(Scheduler.stopDiverged(3))
                .prices(0.0000166667, 0.20, 0.05)
                .modelsTo(ROOT + "/models/")
                .resultTo(ROOT + "/search.json"))
        .apply(ParDo.of(new GridSearchTest.Save<>(saved)));
    p.run().waitUntilFinish();

    SearchResult result =
        (SearchResult)
            SerializableUtils.deserializeFromByteArray(DataTesting.store().get(S3Path.parse(saved)), "search result");
    System.out.println(result.table());
    assertEquals(3, result.experiments().size());
    assertEquals(2, result.psShards());
    ExperimentResult diverged = result.experiments().get(2);
    assertEquals(40.0, diverged.parameters().get("learningRate").doubleValue(), result.table());
    assertEquals(StopReason.DIVERGED, diverged.stopReason(), result.table());
    long requests = result.experiments().stream().mapToLong(ExperimentResult::requests).sum();
    long invocations = setup.lambda().stats(FUNCTION).invocations() - invocationsBefore;
    assertTrue(requests >= 6 && invocations >= requests,
        requests + " worker generations, " + invocations + " invocations counted by the Lambda service");
    assertTrue(result.shardCost() > 0 && result.lambdaCost() > 0, result.table());

    String best = result.bestModelPath();
    double loss =
        LinearModel.fromBytes(DataTesting.store().get(S3Path.parse(best)), best).evaluate(setup.testRows()).loss();
    System.out.printf("best on Lambda: test logloss %.5f, liblinear optimum %.5f (ratio %.4f)%n", loss, setup.optimum(),
        loss / setup.optimum());
    assertTrue(loss <= setup.optimum() * BAR, "best test logloss " + loss + " vs optimum " + setup.optimum());
    String json = new String(DataTesting.store().get(S3Path.parse(ROOT + "/search.json")), StandardCharsets.UTF_8);
    assertTrue(json.contains(best), json);
  }
}
