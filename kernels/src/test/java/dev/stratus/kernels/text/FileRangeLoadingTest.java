package dev.stratus.kernels.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file cut into ranges at every possible size yields exactly the rows of the whole file, in order. */
class FileRangeLoadingTest {
  @TempDir Path dir;

  static List<SparseRow> load(String file, long bytesPerRange, TextFormat format, boolean skip) {
    List<SparseRow> rows = new ArrayList<>();
    for (FileRange range : InputFiles.ranges(List.of(file), bytesPerRange, () -> null)) {
      TextLoader.load(range, offset -> InputFiles.open(file, offset, () -> null), format.newParser(), skip, rows::add);
    }
    return rows;
  }

  static long badRecords(String file, long bytesPerRange, TextFormat format) {
    long bad = 0;
    for (FileRange range : InputFiles.ranges(List.of(file), bytesPerRange, () -> null)) {
      bad += TextLoader.load(range, offset -> InputFiles.open(file, offset, () -> null), format.newParser(), true,
          row -> {}).badRecords();
    }
    return bad;
  }

  @Test
  void everyCutGivesTheRowsOfTheWholeFile() throws IOException {
    String text = "1 1:1\r\n\n0 2:0.5 7:3\n# comment\n1 3:1\n\n\n-1 4:2 5:1\n1 6:1";
    Path file = Files.writeString(dir.resolve("a.svm"), text);
    LibsvmFormat format = new LibsvmFormat(0);
    List<SparseRow> whole = load(file.toString(), Long.MAX_VALUE, format, false);
    assertEquals(5, whole.size());
    for (int bytes = 1; bytes <= text.length() + 1; bytes++) {
      assertEquals(whole, load(file.toString(), bytes, format, false), "ranges of " + bytes + " bytes");
    }
  }

  @Test
  void rangesAfterTheFirstReadTheCsvHeader() throws IOException {
    String text = "\nclicked,age,city\n1,31,Paris\n0,,Lyon\n1,44,\"Paris\"\n";
    Path file = Files.writeString(dir.resolve("a.csv"), text);
    CsvFormat format = new CsvFormat("clicked", List.of("city"), List.of(), 10, ',', 0);
    List<SparseRow> whole = load(file.toString(), Long.MAX_VALUE, format, false);
    assertEquals(3, whole.size());
    for (int bytes = 1; bytes <= text.length(); bytes++) {
      assertEquals(whole, load(file.toString(), bytes, format, false), "ranges of " + bytes + " bytes");
    }
  }

  @Test
  void rangesAfterTheFirstReadTheRatingsHeaderOrLeaveTheFirstRatingToItsRange() throws IOException {
    RatingsFormat format = new RatingsFormat(3, 3, ',');
    // a header, a first line of data, a malformed one; blank lines first, so that a later range may hold that line
    List<String> texts = List.of("\nuser,item,rating\n0,1,5\n2,2,1.5\n", "\n\n0,1,5\n2,2,1.5\n1,0,2\n",
        "\n\n,1,5\n2,2,1.5\n1,0,2\n");
    List<Integer> rows = List.of(2, 3, 2);
    for (int t = 0; t < texts.size(); t++) {
      String text = texts.get(t);
      String file = Files.writeString(dir.resolve("ratings-" + t + ".csv"), text).toString();
      List<SparseRow> whole = load(file, Long.MAX_VALUE, format, true);
      assertEquals((int) rows.get(t), whole.size());
      for (int bytes = 1; bytes <= text.length(); bytes++) {
        long size = bytes;
        String cut = "text " + t + " in ranges of " + bytes + " bytes";
        assertEquals(whole, load(file, size, format, true), cut);
        assertEquals(t == 2 ? 1 : 0, badRecords(file, size, format), cut);
        if (t == 2) {
          BadRecordException e = assertThrows(BadRecordException.class, () -> load(file, size, format, false), cut);
          assertTrue(e.getMessage().startsWith(file + ":3: missing user"), e.getMessage());
        }
      }
    }
  }

  @Test
  void errorsInLaterRangesNameTheirLineInTheWholeFile() throws IOException {
    Path file = Files.writeString(dir.resolve("b.svm"), "1 1:1\n1 1:1\n\n1 1:1\n1 1:1\n1 1:1\n0 3:x\n1 1:1\n");
    BadRecordException e = assertThrows(BadRecordException.class,
        () -> load(file.toString(), 10, new LibsvmFormat(0), false));
    assertTrue(e.getMessage().startsWith(file + ":7: non-numeric value 'x'"), e.getMessage());
    assertEquals(6, load(file.toString(), 10, new LibsvmFormat(0), true).size());
  }
}
