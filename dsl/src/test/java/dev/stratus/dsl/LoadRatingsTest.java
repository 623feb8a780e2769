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

import dev.stratus.kernels.data.Ratings;
import dev.stratus.kernels.dataset.Dataset;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.TestPipeline;
import org.junit.Rule;
import org.junit.Test;

public class LoadRatingsTest {
  @Rule public final transient TestPipeline p = TestPipeline.fromOptions(DataTesting.options());

  @Test
  public void loadsRatingsAsRowsOfUsersThenItemsAndSkipsOrFailsOnABadLineNamingFileAndLine() {
    Path input = file("ratings/ratings.csv", "userId,movieId,rating,timestamp\n0,3,4.5,964982703\n2,0,3,964981247\n"
        + "1,2,0.5,964982224\n");
    Path tabs = file("ratings/large-ids.tsv", "610\t193609\t5\n0\t0\t1\n");
    Path someBad = file("ratings/some-bad.csv", "0,1,5\n,2,3.0\n2,3,1\n");
    String location = "s3://tests/ratings/loaded";
    p.apply("Ratings", LoadRatings.from(input.toString()).users(3).items(4).to(location))
        .apply(Split.fraction(0.5).seed(3));
    p.apply("Tabs", LoadRatings.from(tabs.toString()).users(611).items(193_610).delimiter('\t')
        .to(location + "-tabs"));
    p.apply("SomeBad", LoadRatings.from(someBad.toString()).users(3).items(4).badRecords(BadRecords.SKIP)
        .to(location + "-skipped"));
    p.run().waitUntilFinish();

    assertEquals(sorted(List.of(Ratings.row(0, 3, 4.5f, 3), Ratings.row(2, 0, 3f, 3), Ratings.row(1, 2, 0.5f, 3))),
        sortedRows(location));
    Dataset loaded = dataset(location);
    assertEquals(3 + 4, loaded.featureCount());
    assertEquals("the manifest says where the items start", Integer.valueOf(3), loaded.manifest().users());
    assertEquals("and a split's", Integer.valueOf(3), dataset(location + "-train").manifest().users());
    assertEquals(Integer.valueOf(3), dataset(location + "-test").manifest().users());
    assertEquals("ratings (3 users, 4 items) " + input, loaded.manifest().source());
    assertEquals(sorted(List.of(Ratings.row(610, 193_609, 5f, 611), Ratings.row(0, 0, 1f, 611))),
        sortedRows(location + "-tabs"));
    assertEquals(611 + 193_610, dataset(location + "-tabs").featureCount());
    assertEquals("ratings (611 users, 193,610 items) " + tabs, dataset(location + "-tabs").manifest().source());
    Dataset skipped = dataset(location + "-skipped");
    assertEquals(sorted(List.of(Ratings.row(0, 1, 5f, 3), Ratings.row(2, 3, 1f, 3))),
        sortedRows(location + "-skipped"));
    assertEquals(1, skipped.manifest().badRecords());

    Pipeline failing = DataTesting.pipeline();
    failing.apply(LoadRatings.from(someBad.toString()).users(3).items(4).to(location + "-failed"));
    String message = failureOf(failing);
    assertTrue(message, message.contains(someBad + ":2: missing user (a line is user,item,rating) in line \",2,3.0\""));
    assertFalse("a failed load leaves no dataset", exists(location + "-failed"));
  }

  @Test
  public void refusesCountsOutOfRangeAndAPipelineMissingOne() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoadRatings.from("r.csv").users(0));
    assertEquals("users must be in [1, 1073741824], got 0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LoadRatings.from("r.csv").users(1 << 30).items(1 << 30));
    assertEquals("users(1073741824) + items(1073741824) is more features than a dataset holds, 2147483647",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LoadRatings.from("r.csv").delimiter('.'));
    assertTrue(e.getMessage(), e.getMessage().startsWith("delimiter: "));

    Pipeline pipeline = DataTesting.pipeline();
    e = assertThrows(IllegalArgumentException.class, () -> pipeline.apply(LoadRatings.from("r.csv").users(3)));
    assertEquals("LoadRatings needs .items(count): item ids are 0 to count - 1", e.getMessage());
  }
}
