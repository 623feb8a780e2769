package dev.stratus.dsl;

import static dev.stratus.dsl.DataTesting.file;
import static dev.stratus.dsl.DataTesting.sortedRows;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.generate.CriteoGenerator;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Rule;
import org.junit.Test;

public class HashFeaturesTest {
  @Rule public final transient TestPipeline p = TestPipeline.fromOptions(DataTesting.options());

  @Test
  public void rehashesIntoASmallerSpaceKeepingTheIntegerFeatures() {
    Path tsv = file("hash/rows.tsv", "");
    CriteoGenerator.withSeed(4).writeTsv(tsv, 1500);
    PCollection<Dataset> small = p
        .apply(LoadCriteo.from(tsv.toString()).modelBits(20).logTransform(false).to("s3://tests/hash/big"))
        .apply(HashFeatures.toBits(6));
    PAssert.thatSingleton(small).satisfies(d -> {
      assertEquals("s3://tests/hash/big-h6", d.location());
      assertEquals(64, d.featureCount());
      assertEquals(1500, d.rowCount());
      return null;
    });
    p.run().waitUntilFinish();

    List<SparseRow> big = sortedRows("s3://tests/hash/big");
    double bigSum = 0;
    double smallSum = 0;
    for (SparseRow row : sortedRows("s3://tests/hash/big-h6")) {
      for (int i = 0; i < row.size(); i++) {
        assertTrue(row.indices()[i] < 64);
        smallSum += row.values()[i];
      }
    }
    for (SparseRow row : big) {
      for (float v : row.values()) {
        bigSum += v;
      }
    }
    assertEquals(bigSum, smallSum, 1e-3 * Math.abs(bigSum)); // collisions add up, nothing is lost
  }

  @Test
  public void refusesBitsOutOfRange() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HashFeatures.toBits(31));
    assertTrue(e.getMessage(), e.getMessage().contains("bits must be in 1..30, got 31"));
    p.enableAbandonedNodeEnforcement(false);
  }
}
