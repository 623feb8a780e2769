package dev.stratus.dsl;

import static dev.stratus.dsl.DataTesting.file;
import static dev.stratus.dsl.DataTesting.sorted;
import static dev.stratus.dsl.DataTesting.sortedRows;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.generate.CriteoGenerator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Rule;
import org.junit.Test;

public class SplitTest {
  @Rule public final transient TestPipeline p = TestPipeline.fromOptions(DataTesting.options());

  @Test
  public void splitsDeterministicallyWhateverThePartitioningAndCarriesTheScaling() {
    Path tsv = file("split/rows.tsv", "");
    CriteoGenerator.withSeed(9).writeTsv(tsv, 4000);
    Split.Result parts = p
        .apply(LoadCriteo.from(tsv.toString()).modelBits(16).rowsPerPartition(700).to("s3://tests/split/a"))
        .apply(Normalize.minMax())
        .apply(Split.fraction(0.75).seed(11));
    PCollection<Dataset> train = parts.train();
    PAssert.thatSingleton(train).satisfies(d -> {
      assertEquals("s3://tests/split/a-minmax-train", d.location());
      assertEquals(3000, d.rowCount(), 120);
      assertEquals(1 << 16, d.featureCount());
      assertEquals("I1", d.manifest().namedFeatures().get(0));
      return null;
    });
    PAssert.thatSingleton(parts.test()).satisfies(d -> {
      assertEquals("s3://tests/split/a-minmax-test", d.location());
      return null;
    });
    p.run().waitUntilFinish();

    List<SparseRow> trainRows = sortedRows("s3://tests/split/a-minmax-train");
    List<SparseRow> testRows = sortedRows("s3://tests/split/a-minmax-test");
    List<SparseRow> all = new ArrayList<>(trainRows);
    all.addAll(testRows);
    assertEquals(sortedRows("s3://tests/split/a-minmax"), sorted(all));
    assertEquals(4000, DatasetReader.statistics(DataTesting.store(), DataTesting.dataset(
        "s3://tests/split/a-minmax-test")).rows());

    // the same rows in other partitions split the same way
    Pipeline again = DataTesting.pipeline();
    again
        .apply(LoadCriteo.from(tsv.toString()).modelBits(16).rowsPerPartition(1500).to("s3://tests/split/b"))
        .apply(Normalize.minMax())
        .apply(Split.fraction(0.75).seed(11).to("s3://tests/split/b-train", "s3://tests/split/b-test"));
    again.run().waitUntilFinish();
    assertEquals(trainRows, sortedRows("s3://tests/split/b-train"));
    assertEquals(testRows, sortedRows("s3://tests/split/b-test"));
  }

  @Test
  public void refusesBadArguments() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Split.fraction(1.5));
    assertTrue(e.getMessage(), e.getMessage().contains("strictly between 0 and 1, got 1.5"));
    e = assertThrows(IllegalArgumentException.class, () -> Split.fraction(0.5).to("s3://bkt/x", "s3://bkt/x/"));
    assertTrue(e.getMessage(), e.getMessage().contains("different locations"));
    p.enableAbandonedNodeEnforcement(false);
  }
}
