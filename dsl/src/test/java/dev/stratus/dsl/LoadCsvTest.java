package dev.stratus.dsl;

import static dev.stratus.dsl.DataTesting.exists;
import static dev.stratus.dsl.DataTesting.failureOf;
import static dev.stratus.dsl.DataTesting.file;
import static dev.stratus.dsl.DataTesting.sortedRows;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Rule;
import org.junit.Test;

public class LoadCsvTest {
  @Rule public final transient TestPipeline p = TestPipeline.fromOptions(DataTesting.options());

  @Test
  public void loadsNumericAndHashedCategoricalColumnsFromSeveralFiles() {
    file("csv/ads/a.csv", "id,age,city,clicked\n1,31,Paris,1\n2,,Lyon,0\n");
    Path second = file("csv/ads/b.csv", "id,age,city,clicked\n3,44,\"Paris\",0\n");
    PCollection<Dataset> ads = p.apply(LoadCsv.from(second.getParent().toString())
        .label("clicked").categorical("city").ignore("id").modelBits(8).to("s3://tests/csv/ads"));
    PAssert.thatSingleton(ads).satisfies(d -> {
      assertEquals(3, d.rowCount());
      assertEquals(256, d.featureCount());
      assertEquals(List.of("age"), d.manifest().namedFeatures());
      return null;
    });
    p.run().waitUntilFinish();

    List<SparseRow> rows = sortedRows("s3://tests/csv/ads");
    int paris = -1;
    for (SparseRow row : rows) {
      if (row.label() == 1) {
        assertEquals(0, row.indices()[0]);
        assertEquals(31f, row.values()[0], 0);
        paris = row.indices()[1];
      }
    }
    for (SparseRow row : rows) {
      if (row.size() == 2 && row.values()[0] == 44f) {
        assertEquals(paris, row.indices()[1]); // quoted or not, the same category
      }
    }
  }

  @Test
  public void filesWithDifferentColumnsOrAMissingColumnFailClearly() {
    file("csv/mixed/a.csv", "age,income,city,clicked\n31,10,Paris,1\n");
    Path b = file("csv/mixed/b.csv", "city,income,age,clicked\nParis,10,31,1\n");
    Pipeline mixed = DataTesting.pipeline();
    mixed.apply(LoadCsv.from(b.getParent().toString()).label("clicked").categorical("city")
        .to("s3://tests/csv/mixed"));
    String message = failureOf(mixed);
    assertTrue(message, message.contains("disagree on their features"));
    assertFalse(exists("s3://tests/csv/mixed"));

    Path noLabel = file("csv/nolabel.csv", "age,city\n31,Paris\n");
    Pipeline missing = DataTesting.pipeline();
    missing.apply(LoadCsv.from(noLabel.toString()).label("clicked").badRecords(BadRecords.SKIP)
        .to("s3://tests/csv/nolabel"));
    message = failureOf(missing);
    assertTrue(message, message.contains(noLabel + ":1: the header has no column clicked; its columns are age, city"));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LoadCsv.from("x.csv").label("y").categorical("y"));
    assertTrue(e.getMessage(), e.getMessage().contains("already the label"));
    p.enableAbandonedNodeEnforcement(false);
  }
}
