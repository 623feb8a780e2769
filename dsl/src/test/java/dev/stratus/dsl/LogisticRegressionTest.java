package dev.stratus.dsl;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.stratus.jobs.train.CurvePoint;
import dev.stratus.jobs.train.Solver;
import dev.stratus.jobs.train.StopReason;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.jobs.train.TrainingSpec;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.generate.CriteoGenerator;
import dev.stratus.kernels.reference.Liblinear;
import dev.stratus.kernels.reference.ScikitLearn;
import dev.stratus.kernels.sgd.ClassifierMetrics;
import dev.stratus.kernels.sgd.LinearModel;
import dev.stratus.ps.WireValues;
import dev.stratus.store.S3Path;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.util.construction.PTransformTranslation;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Rule;
import org.junit.Test;

/**
 * The whole workflow on generated Criteo-like data, on the DirectRunner: load, normalize, split, train with four
 * workers against two parameter-server shards, evaluate and predict; the model is held to the optimum liblinear
 * finds on the same split.
 */
public class LogisticRegressionTest {
  @Rule public final transient TestPipeline p = TestPipeline.fromOptions(DataTesting.options());
  /** The training's result, as PAssert saw it in this JVM (the DirectRunner's). */
  private static final AtomicReference<TrainResult> TRAINED = new AtomicReference<>();

  @Test(timeout = 240_000)
  public void fourWorkersOnTwoShardsSendingHalfPrecisionValuesComeWithinTwoPercentOfTheExactOptimum()
      throws Exception {
    Path tsv = DataTesting.file("lr/criteo.tsv", "");
    CriteoGenerator.Summary generated = CriteoGenerator.withSeed(5).writeTsv(tsv, 60_000);
    Split.Result split =
        p.apply(LoadCriteo.from(tsv.toString()).modelBits(16).rowsPerPartition(6_000).to("s3://tests/lr/raw"))
            .apply(Normalize.minMax())
            .apply(Split.fraction(0.8).seed(3));
    // The held-out fifth, halved: the monitor watches the validation half; the test half is for Evaluate only.
    Split.Result heldOut = split.test().apply("SplitHeldOut", Split.fraction(0.5).seed(4));
    PCollection<TrainResult> trained =
        split
            .train()
            .apply(
                LogisticRegression.withValidationSet(heldOut.train())
                    .workers(4)
                    .psShards(2)
                    .wireValues(WireValues.FLOAT16)
                    .learningRate(0.05f)
                    .epsilon(1e-4)
                    .evalInterval(Duration.ofMillis(300))
                    .timeout(Duration.ofSeconds(120))
                    .testCurveOn(heldOut.test())
                    .modelTo("s3://tests/lr/model.bin"));
    double baseRate = generated.baseRateLogloss();
    double floor = generated.bayesLogloss();
    PCollection<ClassifierMetrics> evaluated = heldOut.test().apply(Evaluate.with(trained));
    PCollection<Long> scored = heldOut.test().apply(Predict.with(trained)).apply(Count.globally());

    PAssert.thatSingleton(trained)
        .satisfies(
            r -> {
              assertEquals(StopReason.CONVERGED, r.stopReason());
              assertTrue(r.curve().size() >= 3);
              assertTrue(r.stepTimes().iterations() > 0);
              TRAINED.set(r);
              return null;
            });
    PAssert.thatSingleton(evaluated)
        .satisfies(
            m -> {
              assertTrue("no better than the base rate: " + m, m.loss() < baseRate);
              assertTrue("better than the planted model? " + m, m.loss() > floor - 0.02);
              return null;
            });
    p.run().waitUntilFinish();

    Dataset train = DataTesting.dataset("s3://tests/lr/raw-minmax-train");
    Dataset test = DataTesting.dataset("s3://tests/lr/raw-minmax-test-test");
    List<SparseRow> testRows = DatasetReader.readAll(DataTesting.store(), test);
    LinearModel model =
        LinearModel.fromBytes(DataTesting.store().get(S3Path.parse("s3://tests/lr/model.bin")), "model");
    double ours = model.evaluate(testRows.toArray(new SparseRow[0])).loss();
    double optimum =
        Liblinear.bestOf(DatasetReader.readAll(DataTesting.store(), train), testRows, 0.1, 1, 10).test().loss();
    System.out.printf(
        "Criteo-like data: test logloss %.5f, liblinear optimum %.5f (ratio %.4f), planted model %.5f%n",
        ours, optimum, ours / optimum, generated.bayesLogloss());
    assertTrue("test logloss " + ours + " vs optimum " + optimum, ours <= optimum * 1.02);

    // the test curve was measured on the test rows, and the model kept is the one best on the validation rows
    List<CurvePoint> curve = TRAINED.get().curve();
    assertTrue("a test loss at every point", curve.stream().allMatch(q -> Double.isFinite(q.testLoss())));
    assertTrue("two sets, two losses", curve.stream().anyMatch(q -> q.testLoss() != q.validationLoss()));
    CurvePoint chosen = curve.stream().min(Comparator.comparingDouble(CurvePoint::validationLoss)).orElseThrow();
    assertEquals(ours, chosen.testLoss(), 1e-9);
  }

  @Test
  public void hasAUrnARunnerCanRecognise() {
    assertEquals(
        LogisticRegression.URN,
        PTransformTranslation.urnForTransform(LogisticRegression.withValidationSet(null)));
  }

  @Test
  public void workersPrefetchUnlessToldNotTo() {
    assertTrue(LogisticRegression.withValidationSet(null).spec().prefetch());
    assertFalse(LogisticRegression.withValidationSet(null).prefetch(false).spec().prefetch());
  }

  @Test
  public void resumingWithoutTheModelLocationToContinueIsRefusedNamingModelTo() {
    PipelineOptions resumeOption = PipelineOptionsFactory.fromArgs("--resumeTraining").create();
    PipelineOptions none = PipelineOptionsFactory.create();
    LogisticRegression lr = LogisticRegression.withValidationSet(null);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> lr.validate(resumeOption))
        .getMessage().contains("modelTo"));
    lr.resumeFromSnapshots(true);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> lr.validate(none))
        .getMessage().contains("modelTo"));
    lr.modelTo("s3://models/m");
    lr.validate(none);
    assertTrue(lr.resumes(none));
    assertFalse(LogisticRegression.withValidationSet(null).resumes(none));
  }

  /**
   * L-BFGS, started from its passes of SGD (the default), on scikit-learn's bundled digits as odd against even: at
   * liblinear's best C, the objective both minimise and the test loss within 0.1% of liblinear's, the bar computed
   * here.
   */
  @Test(timeout = 240_000)
  public void lbfgsFromItsPassesOfSgdReachesLiblinearsOptimumOnScikitLearnsDigitsOddAgainstEven() throws Exception {
    List<SparseRow> digits = ScikitLearn.digits().stream()
        .map(row -> new SparseRow(row.label() % 2, row.indices(), row.values()))
        .toList();
    List<SparseRow> train = digits.subList(0, 1_200);
    List<SparseRow> test = digits.subList(1_500, digits.size());
    DataTesting.writeSplit("s3://tests/lr-digits", 64, train, digits.subList(1_200, 1_500), test);
    Liblinear.Optimum exact = Liblinear.bestOf(train, test, 0.1, 1, 10);
    float l2 = (float) (1 / (exact.c() * train.size()));
    PCollection<TrainResult> trained = p.apply("Train", ReadDataset.from("s3://tests/lr-digits/train"))
        .apply(LogisticRegression.withValidationSet(
                p.apply("Validation", ReadDataset.from("s3://tests/lr-digits/validation")))
            .solver(Solver.LBFGS)
            .l2(l2)
            .workers(2)
            .modelTo("s3://tests/lr-digits.bin"));
    PAssert.thatSingleton(trained).satisfies(r -> {
      assertEquals(StopReason.CONVERGED, r.stopReason());
      return null;
    });
    p.run().waitUntilFinish();
    LinearModel model =
        LinearModel.fromBytes(DataTesting.store().get(S3Path.parse("s3://tests/lr-digits.bin")), "model");
    SparseRow[] trainRows = train.toArray(new SparseRow[0]);
    double ours = model.objective(trainRows, l2, 0);
    double theirs = exact.model().objective(trainRows, l2, 0);
    double testLoss = model.meanLoss(test.toArray(new SparseRow[0]));
    System.out.printf("digits, odd against even, at C = %s: objective %.6f against liblinear's %.6f (%.5f), test"
        + " logloss %.5f against %.5f%n", exact.c(), ours, theirs, ours / theirs, testLoss, exact.test().loss());
    assertTrue("objective " + ours + " against liblinear's " + theirs, ours <= theirs * 1.001);
    assertTrue("test logloss " + testLoss + " against liblinear's " + exact.test().loss(),
        testLoss <= exact.test().loss() * 1.001);
  }

  @Test
  public void badOptionsAreRefusedWithTheirRange() {
    LogisticRegression lr = LogisticRegression.withValidationSet(null);
    assertEquals(
        "workers must be in [0, 1000], got -1",
        assertThrows(IllegalArgumentException.class, () -> lr.workers(-1)).getMessage());
    assertEquals(
        "maxCost must be in (0.0, 1000000.0], got 0.0",
        assertThrows(IllegalArgumentException.class, () -> lr.maxCost(0)).getMessage());
    assertEquals(0.5, lr.maxCost(0.5).spec().maxCostDollars(), 0);
    assertEquals(
        "workerMemoryMb must be in [128, 10240], got 64",
        assertThrows(IllegalArgumentException.class, () -> lr.workerMemoryMb(64)).getMessage());
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> lr.learningRate(-1f)).getMessage().startsWith("learningRate"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> lr.timeout(Duration.ZERO)).getMessage().startsWith("timeout"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> lr.modelTo("/tmp/x")).getMessage().contains("/tmp/x"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> lr.workerLifetime(Duration.ofMinutes(16)))
            .getMessage()
            .startsWith("workerLifetime"));
    assertEquals(
        "maxWorkerFailures must be in [0, 1000], got -1",
        assertThrows(IllegalArgumentException.class, () -> lr.maxWorkerFailures(-1)).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> lr.l1(-1f)).getMessage().startsWith("l1"));
    assertEquals(
        "l1 is for linear models; MatrixFactorization has none",
        assertThrows(IllegalArgumentException.class, () -> MatrixFactorization.withValidationSet(null).l1(1e-3f))
            .getMessage());
  }

  @Test
  public void anL1PenaltyReachesTheSpecAndLeavesTheL2PenaltyToBeResolvedAsNone() {
    TrainingSpec spec = LogisticRegression.withValidationSet(null).l1(1e-3f).spec();
    assertEquals(1e-3f, spec.l1(), 0f);
    assertEquals("no L2 beside an L1 penalty unless set", 0f, spec.forTrainingSet(1_000, () -> 0).l2(), 0f);
    assertEquals(1e-3f, LinearSvm.withValidationSet(null).l1(1e-3f).spec().l1(), 0f);
  }
}
