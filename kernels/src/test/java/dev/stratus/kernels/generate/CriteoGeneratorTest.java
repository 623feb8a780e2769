package dev.stratus.kernels.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.text.CriteoFormat;
import dev.stratus.kernels.text.LibsvmFormat;
import dev.stratus.kernels.text.TextLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CriteoGeneratorTest {
  @TempDir Path dir;

  @Test
  void aSeedDeterminesTheBytes() throws IOException {
    CriteoGenerator.Summary first = CriteoGenerator.withSeed(42).writeTsv(dir.resolve("a.tsv"), 5000);
    CriteoGenerator.Summary again = CriteoGenerator.withSeed(42).writeTsv(dir.resolve("b.tsv"), 5000);
    CriteoGenerator.withSeed(43).writeTsv(dir.resolve("c.tsv"), 5000);
    assertEquals(first, again);
    assertArrayEquals(Files.readAllBytes(dir.resolve("a.tsv")), Files.readAllBytes(dir.resolve("b.tsv")));
    assertFalse(Arrays.equals(Files.readAllBytes(dir.resolve("a.tsv")), Files.readAllBytes(dir.resolve("c.tsv"))));
  }

  @Test
  void criteoShapeAndAPlantedModelBetterThanTheBaseRate() throws IOException {
    Path file = dir.resolve("c.tsv");
    CriteoGenerator.Summary s = CriteoGenerator.withSeed(1).writeTsv(file, 50_000);
    assertEquals(50_000, s.rows());
    assertEquals(0.25, s.positives() / 50_000.0, 0.02);
    assertTrue(s.bayesLogloss() < s.baseRateLogloss() - 0.05, s.toString());
    assertTrue(s.bayesLogloss() > 0.3, s.toString()); // learnable, not trivial

    List<String> lines = Files.readAllLines(file);
    assertEquals(40, lines.get(0).split("\t", -1).length);
    // long tails: a categorical column with a large cardinality has a few frequent values and many rare ones
    Map<String, Integer> counts = new HashMap<>();
    for (String line : lines) {
      counts.merge(line.split("\t", -1)[14 + 2], 1, Integer::sum);
    }
    int max = counts.values().stream().max(Integer::compare).orElse(0);
    long singletons = counts.values().stream().filter(c -> c == 1).count();
    assertTrue(max > 200 && singletons > 1000, "max " + max + ", singletons " + singletons);
  }

  @Test
  void libsvmOutputHoldsTheRowsTheCriteoLoaderMakes() throws IOException {
    CriteoGenerator.withSeed(5).writeTsv(dir.resolve("g.tsv"), 2000);
    CriteoGenerator.withSeed(5).writeLibsvm(dir.resolve("g.svm"), 2000, 18, true);
    List<SparseRow> fromTsv = load(dir.resolve("g.tsv"), new CriteoFormat(18, true).newParser());
    List<SparseRow> fromSvm = load(dir.resolve("g.svm"), new LibsvmFormat(1 << 18).newParser());
    assertEquals(fromTsv.size(), fromSvm.size());
    for (int i = 0; i < fromTsv.size(); i++) {
      assertArrayEquals(fromTsv.get(i).indices(), fromSvm.get(i).indices());
      assertArrayEquals(fromTsv.get(i).values(), fromSvm.get(i).values(), 1e-6f);
      assertEquals(fromTsv.get(i).label(), fromSvm.get(i).label());
    }
  }

  private static List<SparseRow> load(Path file, dev.stratus.kernels.text.RowParser parser) throws IOException {
    List<SparseRow> rows = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      TextLoader.load(file.toString(), in, parser, false, rows::add);
    }
    return rows;
  }
}
