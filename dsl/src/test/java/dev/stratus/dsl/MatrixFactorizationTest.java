package dev.stratus.dsl;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.stratus.jobs.search.SearchResult;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.kernels.data.Ratings;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.generate.PlantedRatings;
import dev.stratus.kernels.reference.ScikitLearn;
import dev.stratus.kernels.sgd.FactorModel;
import dev.stratus.kernels.sgd.FactorObjective;
import dev.stratus.kernels.sgd.RegressionMetrics;
import dev.stratus.kernels.sgd.TrainedModel;
import dev.stratus.store.S3Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.util.construction.PTransformTranslation;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Rule;
import org.junit.Test;

/**
 * Matrix factorization on the DirectRunner, on ratings of a planted low-rank model, held to biased alternating least
 * squares (numpy) at its best penalty on the same split, and to the planted model's own RMSE, both computed here. On
 * Lambda workers it is held to the same bar in {@code LogisticRegressionOnWorkersTest}.
 */
public class MatrixFactorizationTest {
  private static final String ROOT = "s3://tests/factorization";
  /** Within 2% of the reference's test RMSE. */
  private static final double BAR = 1.02;

  @Rule public final transient TestPipeline p = TestPipeline.fromOptions(DataTesting.options());

  /** The planted ratings every factorization test trains on: 1,000 users, 600 items, rank 4. */
  static PlantedRatings planted() {
    return new PlantedRatings(1_000, 600, 4, 60_000, 10_000, 0.5, 11);
  }

  /** The test RMSE the reference reaches: biased ALS at the best penalty of a small grid. */
  static ScikitLearn.AlsOptimum reference(PlantedRatings data, List<SparseRow> test) throws Exception {
    return ScikitLearn.alsBestOf(data.users, data.items, data.rank, data.train, test, 0.01, 0.03, 0.1);
  }

  @Test(timeout = 240_000)
  public void withDefaultsComesWithinTwoPercentOfAlternatingLeastSquaresAndNearThePlantedModel() throws Exception {
    PlantedRatings data = planted();
    List<SparseRow> test = DataTesting.writePlantedRatings(ROOT, data);
    PCollection<TrainResult> trained = p.apply("Train", ReadDataset.from(ROOT + "/train"))
        .apply(MatrixFactorization.withValidationSet(p.apply("Validation", ReadDataset.from(ROOT + "/validation")))
            .rank(data.rank)
            .workers(2)
            .timeout(Duration.ofSeconds(90))
            .modelTo(ROOT + "/model.bin"));
    PCollection<Dataset> testSet = p.apply("Test", ReadDataset.from(ROOT + "/test"));
    PCollection<RegressionMetrics> evaluated = testSet.apply(EvaluateRatings.with(trained));
    PCollection<RatingPrediction> predicted = testSet.apply(PredictRatings.with(trained));
    ScikitLearn.AlsOptimum optimum = reference(data, test);
    double alsRmse = optimum.testRmse();
    int ratings = test.size();
    PAssert.thatSingleton(evaluated).satisfies(m -> {
      assertTrue("test RMSE " + m.rmse() + " against ALS's " + alsRmse, m.rmse() <= alsRmse * BAR);
      assertEquals(ratings, m.count());
      return null;
    });
    // every test rating predicted once, under the ids the data gave it, as EvaluateRatings scores it
    List<String> pairs = test.stream()
        .map(r -> Ratings.user(r) + "," + Ratings.item(r, data.users) + "," + r.label()).sorted().toList();
    PAssert.that(predicted).satisfies(all -> {
      List<RatingPrediction> list = new ArrayList<>();
      all.forEach(list::add);
      assertEquals(pairs, list.stream().map(r -> r.user() + "," + r.item() + "," + r.rating()).sorted().toList());
      double rmse = Math.sqrt(list.stream().mapToDouble(r -> r.error() * r.error()).sum() / list.size());
      assertTrue("RMSE of the predictions " + rmse + " against ALS's " + alsRmse, rmse <= alsRmse * BAR);
      return null;
    });
    p.run().waitUntilFinish();

    FactorModel model = (FactorModel) TrainedModel.fromBytes(
        DataTesting.store().get(S3Path.parse(ROOT + "/model.bin")), "the factorization");
    RegressionMetrics direct = model.evaluate(test.toArray(new SparseRow[0]));
    System.out.printf("matrix factorization: test RMSE %.4f, MAE %.4f (ALS at lambda %s: %.4f; planted noise %.2f)%n",
        direct.rmse(), direct.mae(), optimum.lambda(), optimum.testRmse(), data.noise);
    assertTrue("RMSE " + direct.rmse() + " against the planted model's " + data.noise,
        direct.rmse() <= data.noise * 1.15);
  }

  /**
   * A search over a factorization's learning rate: its experiments train on shared shards and are ranked on the
   * validation ratings, as a linear model's are, and the best one's model comes within 2% of ALS on the test ratings.
   */
  @Test(timeout = 240_000)
  public void aSearchRanksFactorizationsOnTheValidationRatingsAndItsBestMeetsTheBar() throws Exception {
    String root = ROOT + "-search";
    PlantedRatings data = planted();
    List<SparseRow> test = DataTesting.writePlantedRatings(root, data);
    String saved = root + "/result";
    p.apply("Train", ReadDataset.from(root + "/train"))
        .apply(GridSearch.of(MatrixFactorization
                .withValidationSet(p.apply("Validation", ReadDataset.from(root + "/validation")))
                .rank(data.rank)
                .workers(1)
                .timeout(Duration.ofSeconds(60)))
            .vary("learningRate", 0.2, 0.5)
            .parallelism(2)
            .modelsTo(root + "/models/"))
        .apply(ParDo.of(new GridSearchTest.Save<>(saved)));
    p.run().waitUntilFinish();

    SearchResult result = (SearchResult)
        SerializableUtils.deserializeFromByteArray(DataTesting.store().get(S3Path.parse(saved)), "search result");
    System.out.println(result.table());
    assertEquals(2, result.experiments().size());
    GridSearchTest.assertRanked(result);
    // every experiment's worker generations are recorded, and priced, however soon its last one ended before the stop
    result.experiments().forEach(e -> assertTrue(result.table(), e.cost() > 0));
    FactorModel best = (FactorModel) TrainedModel.fromBytes(
        DataTesting.store().get(S3Path.parse(result.bestModelPath())), "the search's best factorization");
    double rmse = best.evaluate(test.toArray(new SparseRow[0])).rmse();
    double alsRmse = reference(data, test).testRmse();
    assertTrue("the best experiment's test RMSE " + rmse + " against ALS's " + alsRmse, rmse <= alsRmse * BAR);
  }

  @Test
  public void sharesTheTrainingsUrnAndRefusesABadRank() {
    assertEquals(SgdTraining.URN, PTransformTranslation.urnForTransform(MatrixFactorization.withValidationSet(null)));
    assertEquals(16, ((FactorObjective) MatrixFactorization.withValidationSet(null).rank(16)
        .spec().objective()).rank());
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> MatrixFactorization.withValidationSet(null).rank(0)).getMessage().contains("rank"));
  }
}
