package dev.stratus.dsl;

import static dev.stratus.dsl.DataTesting.dataset;
import static dev.stratus.dsl.DataTesting.exists;
import static dev.stratus.dsl.DataTesting.failureOf;
import static dev.stratus.dsl.DataTesting.file;
import static dev.stratus.dsl.DataTesting.sorted;
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

  @Test
  public void classesKeepWholeLabelsAndSkipOrFailOthersNamingFileAndLine() {
    Path input = file("csv/classes.csv", "age,kind\n31,2\n40,0\n52,-1\n");
    Path someBad = file("csv/classes-some-bad.csv", "age,kind\n31,2\n40,-3\n52,1\n");
    String location = "s3://tests/csv/classes";
    p.apply("Classes", LoadCsv.from(input.toString()).label("kind").classes(3).modelBits(4).to(location));
    p.apply("SomeBad", LoadCsv.from(someBad.toString()).label("kind").classes(3).badRecords(BadRecords.SKIP)
        .to(location + "-skipped"));
    p.run().waitUntilFinish();
    assertEquals(sorted(List.of(
        new SparseRow(2, new int[] {0}, new float[] {31}),
        new SparseRow(0, new int[] {0}, new float[] {40}),
        new SparseRow(0, new int[] {0}, new float[] {52}))), sortedRows(location));
    assertEquals("CSV (label kind, 3 classes, categorical [], modelBits 4) " + input,
        dataset(location).manifest().source());
    Dataset skipped = dataset(location + "-skipped");
    assertEquals(2, skipped.rowCount());
    assertEquals(1, skipped.manifest().badRecords());

    Pipeline failing = DataTesting.pipeline();
    failing.apply(LoadCsv.from(someBad.toString()).label("kind").classes(3).to(location + "-failed"));
    String message = failureOf(failing);
    assertTrue(message, message.contains(someBad + ":3: label -3 is not a class: classes(3) takes whole labels 0 to 2"));

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> LoadCsv.from("x.csv").classes(1));
    assertEquals("classes must be in [2, 1000000], got 1", e.getMessage());
  }
}
