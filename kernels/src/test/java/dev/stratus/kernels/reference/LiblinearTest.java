package dev.stratus.kernels.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.kernels.data.SparseRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LiblinearTest {
  @TempDir Path dir;

  @Test
  void libsvmTextHasWholeLabelsAsIntegersAndOneBasedIndices() throws Exception {
    List<SparseRow> rows = List.of(
        new SparseRow(0, new int[] {0, 4}, new float[] {0.5f, 2f}),
        new SparseRow(1, new int[] {}, new float[] {}),
        new SparseRow(7, new int[] {2}, new float[] {1e-5f}),
        new SparseRow(0.25f, new int[] {1}, new float[] {3f}));
    Path file = Liblinear.writeLibsvm(dir.resolve("rows.svm"), rows);
    assertEquals(List.of("0 1:0.5 5:2.0", "1", "7 3:1.0E-5", "0.25 2:3.0"), Files.readAllLines(file));
  }
}
