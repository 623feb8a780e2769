package dev.stratus.dsl;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import dev.stratus.kernels.text.FileRange;
import dev.stratus.spi.StoreOptions;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.testing.SourceTestUtils;
import org.junit.Test;

/**
 * A loader's input as a source: split where the runner plans (LambdaRunner's driver), one source per range, and read
 * whole by a runner that does not split it, the same ranges either way, and the target cleared either way.
 */
public class InputRangesTest {
  private static final String TARGET = "s3://tests/input-ranges/loaded";

  @Test
  public void theSplitsReadTheRangesTheWholeInputReadsAndEachClearsTheTarget() throws Exception {
    Path input = file("a.svm", 300); // 3 ranges of 100 bytes
    file("b.svm", 50); // 1
    StoreOptions options = DataTesting.options();
    String dir = input.getParent().toString();
    LoadText.InputRanges whole = new LoadText.InputRanges(dir, TARGET, 100, null);

    loadSomethingAt(TARGET);
    List<? extends BoundedSource<FileRange>> splits = whole.split(1, options);
    assertFalse("listing cleared the dataset there", DataTesting.exists(TARGET));
    assertEquals(4, splits.size());
    assertEquals(List.of(new FileRange(dir + "/a.svm", 0, 100)), SourceTestUtils.readFromSource(splits.get(0), options));
    assertEquals(List.of(new FileRange(dir + "/a.svm", 200, Long.MAX_VALUE)),
        SourceTestUtils.readFromSource(splits.get(2), options));
    assertEquals(List.of(splits.get(1)), splits.get(1).split(1, options));

    loadSomethingAt(TARGET);
    SourceTestUtils.assertSourcesEqualReferenceSource(whole, splits, options);
    assertFalse("reading unsplit cleared it too", DataTesting.exists(TARGET));
    assertEquals(100, splits.get(0).getEstimatedSizeBytes(options));
    assertEquals("unknown: to the end of the file", 0, splits.get(3).getEstimatedSizeBytes(options));
  }

  private static void loadSomethingAt(String location) {
    Pipeline p = DataTesting.pipeline();
    p.apply(LoadLibsvm.from(DataTesting.file("input-ranges-other/one.svm", "1 1:1\n").toString()).to(location));
    p.run().waitUntilFinish();
    assertTrue(DataTesting.exists(location));
  }

  private static Path file(String name, int bytes) {
    return DataTesting.file("input-ranges/" + name, "1 1:1\n".repeat(bytes / 6) + "0".repeat(bytes % 6));
  }
}
