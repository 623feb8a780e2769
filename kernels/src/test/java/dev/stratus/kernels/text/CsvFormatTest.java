package dev.stratus.kernels.text;

import static dev.stratus.kernels.text.Parsing.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import java.util.List;
import org.junit.jupiter.api.Test;

class CsvFormatTest {
  final CsvFormat format = new CsvFormat("clicked", List.of("city"), List.of("id"), 12, ',', 0);

  @Test
  void numericColumnsInHeaderOrderAndCategoricalsHashed() {
    RowParser parser = format.newParser();
    assertNull(parse(parser, "id,age,city,clicked,income"));
    assertEquals(List.of("age", "income"), parser.namedFeatures());
    SparseRow row = parse(parser, "17,31,\"Paris, France\",1,2.5");
    assertEquals(1, row.label());
    assertEquals(3, row.size());
    assertEquals(0, row.indices()[0]);
    assertEquals(31f, row.values()[0]);
    assertEquals(1, row.indices()[1]);
    assertEquals(2.5f, row.values()[1]);
    assertTrue(row.indices()[2] >= 2 && row.indices()[2] < 4096);

    // the same city in a file with other column order hashes alike
    RowParser other = format.newParser();
    parse(other, "clicked,city,income,age,id");
    SparseRow same = parse(other, "-1,\"Paris, France\",,31,3");
    assertEquals(0, same.label());
    assertEquals(row.indices()[2], same.indices()[same.size() - 1]);
    SparseRow quoted = parse(parser, "1,2,\"say \"\"hi\"\"\",0,");
    assertEquals(2, quoted.size());
  }

  @Test
  void aByteOrderMarkBeforeTheHeaderIsNotPartOfTheFirstName() {
    RowParser parser = format.newParser();
    assertNull(parse(parser, "\uFEFFclicked,age,city,id"));
    assertEquals(1, parse(parser, "1,2,x,3").label());
  }

  @Test
  void refusesBadHeadersAndRows() {
    RecordProblem header = assertThrows(RecordProblem.class, () -> parse(format.newParser(), "a,b,clicked"));
    assertTrue(header.fatal());
    assertTrue(header.getMessage().contains("no column city, id"), header.getMessage());
    assertTrue(assertThrows(RecordProblem.class, () -> parse(format.newParser(), "\"id,age,city,clicked")).fatal());
    RowParser parser = format.newParser();
    parse(parser, "id,age,city,clicked");
    assertProblem(parser, "1,2,x", "expected 4 columns");
    assertProblem(parser, "1,abc,x,1", "column 'age': non-numeric value 'abc'");
    assertProblem(parser, "1,2,x,yes", "bad label 'yes'");
    assertProblem(parser, "1,2,\"x,1", "unterminated quote");
  }

  @Test
  void withClassesTheLabelColumnTakesWholeLabelsBelowTheCount() {
    RowParser parser = new CsvFormat("kind", List.of(), List.of(), 12, ',', 3).newParser();
    parse(parser, "age,kind");
    assertEquals(2, parse(parser, "31,2").label());
    assertProblem(parser, "31,3", "label 3 is not a class: classes(3) takes whole labels 0 to 2");
  }

  private static void assertProblem(RowParser parser, String line, String expected) {
    RecordProblem p = assertThrows(RecordProblem.class, () -> parse(parser, line));
    assertTrue(p.getMessage().contains(expected), p.getMessage());
  }
}
