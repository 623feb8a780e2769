package dev.stratus.dsl;

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
import dev.stratus.kernels.generate.CriteoGenerator;
import dev.stratus.kernels.text.CriteoFormat;
import dev.stratus.kernels.text.TextLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Rule;
import org.junit.Test;

public class LoadCriteoTest {
  @Rule public final transient TestPipeline p = TestPipeline.fromOptions(DataTesting.options());

  @Test
  public void loadsGeneratedCriteoRowsAsTheParserReadsThemAndAsTheirLibsvmTwin() throws IOException {
    Path tsv = file("criteo/day.tsv", "");
    Path svm = file("criteo/day.svm", "");
    CriteoGenerator.withSeed(3).writeTsv(tsv, 3000);
    CriteoGenerator.withSeed(3).writeLibsvm(svm, 3000, 18, true);
    PCollection<Dataset> criteo = p.apply("Tsv",
        LoadCriteo.from(tsv.toString()).modelBits(18).logTransform(true).rowsPerPartition(1000)
            .to("s3://tests/criteo/day"));
    PCollection<Dataset> libsvm = p.apply("Svm",
        LoadLibsvm.from(svm.toString()).features(1 << 18).to("s3://tests/criteo/day-svm"));
    PAssert.thatSingleton(criteo).satisfies(d -> {
      assertEquals(3000, d.rowCount());
      assertEquals(1 << 18, d.featureCount());
      assertEquals(3, d.manifest().partitions().size());
      assertEquals("I1", d.manifest().namedFeatures().get(0));
      assertTrue(d.manifest().source(), d.manifest().source().contains("Criteo TSV (modelBits 18, log transform)"));
      return null;
    });
    PAssert.thatSingleton(libsvm).satisfies(d -> {
      assertEquals(3000, d.rowCount());
      return null;
    });
    p.run().waitUntilFinish();

    List<SparseRow> expected = new ArrayList<>();
    try (InputStream in = Files.newInputStream(tsv)) {
      TextLoader.load(tsv.toString(), in, new CriteoFormat(18, true).newParser(), false, expected::add);
    }
    List<SparseRow> loaded = sortedRows("s3://tests/criteo/day");
    assertEquals(sorted(expected), loaded);
    assertEquals(loaded.size(), sortedRows("s3://tests/criteo/day-svm").size());
  }

  @Test
  public void malformedCriteoLinesFailNamingFileLineAndText() {
    String good = "1\t5" + "\t".repeat(38);
    Map<String, String> cases = Map.of(
        "2\t5" + "\t".repeat(38), "bad label '2'",
        "0\tfive" + "\t".repeat(38), "integer feature I1: non-numeric value 'five'",
        "0\t1\t2\t3", "expected 40 tab-separated columns");
    int n = 0;
    for (Map.Entry<String, String> c : cases.entrySet()) {
      Path input = file("criteo/bad-" + n + ".tsv", good + "\n" + good + "\n" + c.getKey() + "\n");
      String location = "s3://tests/criteo/bad-" + n++;
      Pipeline pipeline = DataTesting.pipeline();
      pipeline.apply(LoadCriteo.from(input.toString()).to(location));
      String message = failureOf(pipeline);
      assertTrue(message, message.contains(input + ":3: " + c.getValue()));
      assertTrue(message, message.contains(c.getKey().replace("\t", "\t")));
      assertFalse(exists(location));
    }
  }

  @Test
  public void modelBitsOutsideItsRangeIsRefusedWhenGiven() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> LoadCriteo.from("x.tsv").modelBits(31));
    assertTrue(e.getMessage(), e.getMessage().startsWith("modelBits must be in 4..30"));
    assertThrows(IllegalArgumentException.class, () -> LoadCriteo.from("x.tsv").modelBits(0));
  }
}
