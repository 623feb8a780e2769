package dev.stratus.kernels.text;

import static dev.stratus.kernels.text.Parsing.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import java.util.Collections;
import org.junit.jupiter.api.Test;

class CriteoFormatTest {
  static String line(String label, String... fields) {
    String[] all = new String[39];
    java.util.Arrays.fill(all, "");
    System.arraycopy(fields, 0, all, 0, fields.length);
    return label + "\t" + String.join("\t", all);
  }

  @Test
  void integersKeepTheirIndicesAndCategoricalsAreHashedAboveThem() {
    RowParser parser = new CriteoFormat(10, false).newParser();
    String[] fields = new String[39];
    java.util.Arrays.fill(fields, "");
    fields[0] = "5";
    fields[2] = "-2";
    fields[13] = "68fd1e64";
    fields[38] = "deadbeef";
    SparseRow row = parse(parser, "1\t" + String.join("\t", fields));
    assertEquals(1, row.label());
    assertEquals(0, row.indices()[0]);
    assertEquals(5f, row.values()[0]);
    assertEquals(2, row.indices()[1]);
    assertEquals(-2f, row.values()[1]);
    assertEquals(4, row.size());
    for (int i = 1; i < row.size(); i++) {
      assertTrue(row.indices()[i] > row.indices()[i - 1]);
    }
    assertTrue(row.indices()[2] >= 13 && row.indices()[3] < 1024);
  }

  @Test
  void logTransformAndCollisionsSummed() {
    RowParser parser = new CriteoFormat(4, true).newParser(); // 3 hashed slots: the 26 values must collide
    String[] fields = new String[39];
    java.util.Arrays.fill(fields, "aa");
    fields[0] = "3";
    for (int j = 1; j < 13; j++) {
      fields[j] = "";
    }
    SparseRow row = parse(parser, "0\t" + String.join("\t", fields));
    assertEquals((float) Math.log(4), row.values()[0], 1e-6);
    float sum = 0;
    for (int i = 1; i < row.size(); i++) {
      sum += row.values()[i];
    }
    assertEquals(26f, sum);
    assertTrue(row.size() <= 4);
  }

  @Test
  void emptyFieldsAreMissingValues() {
    SparseRow row = parse(new CriteoFormat(20, true).newParser(), line("0"));
    assertEquals(new SparseRow(0, new int[0], new float[0]), row);
  }

  @Test
  void refusesMalformedLines() {
    RowParser parser = new CriteoFormat(20, true).newParser();
    assertProblem(parser, line("2"), "bad label '2'");
    assertProblem(parser, line("1", "x7"), "integer feature I1: non-numeric value 'x7'");
    assertProblem(parser, "1\t2\t3", "expected 40 tab-separated columns");
    assertProblem(parser, line("1") + "\textra", "found 41");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CriteoFormat(31, true));
    assertTrue(e.getMessage().contains("modelBits must be in 4..30"), e.getMessage());
    assertEquals(Collections.nCopies(13, "I").size(), parser.namedFeatures().size());
  }

  private static void assertProblem(RowParser parser, String line, String expected) {
    RecordProblem p = assertThrows(RecordProblem.class, () -> parse(parser, line));
    assertTrue(p.getMessage().contains(expected), p.getMessage());
  }
}
