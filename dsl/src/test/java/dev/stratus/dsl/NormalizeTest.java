package dev.stratus.dsl;

import static dev.stratus.dsl.DataTesting.file;
import static dev.stratus.dsl.DataTesting.sorted;
import static dev.stratus.dsl.DataTesting.sortedRows;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.dataset.FeatureStatistics;
import dev.stratus.kernels.dataset.ScalingMethod;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Rule;
import org.junit.Test;

public class NormalizeTest {
  @Rule public final transient TestPipeline p = TestPipeline.fromOptions(DataTesting.options());

  static final String TRAIN = "1 1:4 2:-2\n0 1:2 3:10\n0 3:5\n1 1:1\n";
  static final String TEST = "1 1:8 3:5 4:3\n";

  @Test
  public void minMaxScalesByTheLargestMagnitudeInTwoPassesAndRecordsTheStatistics() {
    Path input = file("normalize/train.svm", TRAIN);
    PCollection<Dataset> scaled = p
        .apply(LoadLibsvm.from(input.toString()).to("s3://tests/normalize/train").rowsPerPartition(2))
        .apply(Normalize.minMax());
    PAssert.thatSingleton(scaled).satisfies(d -> {
      assertEquals("s3://tests/normalize/train-minmax", d.location());
      assertEquals(4, d.rowCount());
      assertEquals(ScalingMethod.MIN_MAX_SCALING, d.manifest().scaling().method());
      assertEquals("s3://tests/normalize/train", d.manifest().scaling().statisticsOf());
      assertEquals(3, d.manifest().scaling().statistics().features());
      return null;
    });
    p.run().waitUntilFinish();

    assertEquals(sorted(List.of(
        new SparseRow(1, new int[] {0, 1}, new float[] {1, -1}),
        new SparseRow(0, new int[] {0, 2}, new float[] {0.5f, 1}),
        new SparseRow(0, new int[] {2}, new float[] {0.5f}),
        new SparseRow(1, new int[] {0}, new float[] {0.25f}))), sortedRows("s3://tests/normalize/train-minmax"));
    FeatureStatistics statistics = DatasetReader.statistics(
        DataTesting.store(), DataTesting.dataset("s3://tests/normalize/train-minmax"));
    assertEquals(4, statistics.rows());
    assertEquals(4.0, statistics.max(statistics.find(0)), 0);
  }

  @Test
  public void standardDividesByTheDeviationAndATestSetTakesTheTrainingStatistics() {
    Path train = file("normalize/train2.svm", TRAIN);
    Path test = file("normalize/test2.svm", TEST);
    PCollection<Dataset> trainScaled = p
        .apply("LoadTrain", LoadLibsvm.from(train.toString()).features(4).to("s3://tests/normalize/std-train"))
        .apply("ScaleTrain", Normalize.standard().to("s3://tests/normalize/std-train-scaled"));
    PCollection<Dataset> testScaled = p
        .apply("LoadTest", LoadLibsvm.from(test.toString()).features(4).to("s3://tests/normalize/std-test"))
        .apply("ScaleTest", Normalize.standard().withStatisticsOf(trainScaled).to("s3://fresh-bucket/std-test"));
    PAssert.thatSingleton(testScaled).satisfies(d -> {
      assertEquals("s3://fresh-bucket/std-test", d.location()); // a bucket no step created before
      assertEquals("s3://tests/normalize/std-train", d.manifest().scaling().statisticsOf());
      return null;
    });
    p.run().waitUntilFinish();

    // feature 1 (index 0) over the 4 training rows: 4, 2, 0, 1 -> mean 1.75, sd sqrt(21/4 - 1.75^2)
    double sd0 = Math.sqrt(21.0 / 4 - 1.75 * 1.75);
    double sd2 = Math.sqrt(125.0 / 4 - 3.75 * 3.75); // feature 3: 0, 10, 5, 0
    SparseRow scaled = sortedRows("s3://fresh-bucket/std-test").get(0);
    assertEquals(8 / sd0, scaled.values()[0], 1e-5);
    assertEquals(5 / sd2, scaled.values()[1], 1e-5);
    assertEquals(3, scaled.values()[2], 0); // never seen in training: left as it is
    assertNotNull(DatasetReader.statistics(
        DataTesting.store(), DataTesting.dataset("s3://fresh-bucket/std-test")));
    assertTrue(DataTesting.exists("s3://tests/normalize/std-train-scaled"));
  }
}
