package dev.stratus.kernels.text;

import static dev.stratus.kernels.text.Parsing.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import java.util.List;
import org.junit.jupiter.api.Test;

class LibsvmFormatTest {
  final RowParser parser = new LibsvmFormat(0).newParser();

  @Test
  void parsesRowsWithOneBasedIndicesAndMapsMinusOneToZero() {
    assertEquals(new SparseRow(1, new int[] {0, 4, 99}, new float[] {0.5f, 1f, -2e-3f}),
        parse(parser, "+1 1:0.5 5:1 100:-2e-3"));
    assertEquals(new SparseRow(0, new int[] {2}, new float[] {3f}), parse(parser, "-1\t3:3   # a comment"));
    assertEquals(new SparseRow(0, new int[0], new float[0]), parse(parser, "0"));
    assertEquals(new SparseRow(1, new int[] {1}, new float[] {7}), parse(parser, "1 1:0 2:7")); // explicit zero dropped
    assertNull(parse(parser, "   "));
    assertNull(parse(parser, "# header comment"));
  }

  @Test
  void refusesEachKindOfMalformedLine() {
    assertProblem("1x 1:1", "bad label '1x'");
    assertProblem("1 a:1", "bad index 'a'");
    assertProblem("1 0:1", "index 0 out of range");
    assertProblem("1 5:1 3:1", "indices must increase: 3 after 5");
    assertProblem("1 5:1 5:2", "duplicate index 5");
    assertProblem("1 5:abc", "non-numeric value 'abc'");
    assertProblem("1 5:nan", "non-numeric value 'nan'");
    assertProblem("1 5", "expected index:value");
    RecordProblem p = assertThrows(RecordProblem.class, () -> parse(new LibsvmFormat(10).newParser(), "1 11:1"));
    assertTrue(p.getMessage().contains("index 11 out of range 1..10"), p.getMessage());
  }

  @Test
  void withClassesTakesWholeLabelsBelowTheCount() {
    RowParser twoClasses = new LibsvmFormat(0, 2).newParser(); // -1/+1 files still load
    assertEquals(0, parse(twoClasses, "-1 1:1").label());
    assertEquals(1, parse(twoClasses, "+1 1:1").label());
    RowParser tenClasses = new LibsvmFormat(0, 10).newParser();
    assertEquals(9, parse(tenClasses, "9 1:1").label());
    for (String label : List.of("10", "2.5", "-3")) {
      RecordProblem p = assertThrows(RecordProblem.class, () -> parse(tenClasses, label + " 1:1"));
      assertEquals("label " + label + " is not a class: classes(10) takes whole labels 0 to 9", p.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> new LibsvmFormat(0, 1));
  }

  private void assertProblem(String line, String expected) {
    RecordProblem p = assertThrows(RecordProblem.class, () -> parse(parser, line));
    assertTrue(p.getMessage().contains(expected), p.getMessage());
  }
}
