package dev.stratus.kernels.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextLoaderTest {
  static ByteArrayInputStream text(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void failsNamingFileLineAndText() {
    BadRecordException e = assertThrows(BadRecordException.class, () -> TextLoader.load(
        "data/a.svm", text("1 1:1\r\n0 2:1\n1 3:x\n"), new LibsvmFormat(0).newParser(), false, r -> {}));
    assertTrue(e.getMessage().startsWith("data/a.svm:3: non-numeric value 'x'"), e.getMessage());
    assertTrue(e.getMessage().contains("\"1 3:x\""), e.getMessage());
    assertEquals(3, e.line());
  }

  @Test
  void skipsAndCountsWhenAsked() {
    List<SparseRow> rows = new ArrayList<>();
    TextLoader.Result r = TextLoader.load(
        "f", text("1 1:1\nbad\n\n0 2:1\n1 2:1 1:1"), new LibsvmFormat(0).newParser(), true, rows::add);
    assertEquals(2, r.rows());
    assertEquals(2, r.badRecords());
    assertEquals(2, rows.size());
  }

  @Test
  void longLinesAcrossBufferRefillsAreWhole() {
    StringBuilder line = new StringBuilder("1");
    for (int i = 1; i <= 300_000; i++) {
      line.append(' ').append(i).append(":1");
    }
    List<SparseRow> rows = new ArrayList<>();
    TextLoader.load("f", text(line + "\n" + line), new LibsvmFormat(0).newParser(), false, rows::add);
    assertEquals(2, rows.size());
    assertEquals(300_000, rows.get(1).size());
  }
}
