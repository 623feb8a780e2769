package dev.stratus.kernels.text;

import dev.stratus.kernels.data.SparseRow;
import java.nio.charset.StandardCharsets;

/** Test helper: parse one line given as text. */
final class Parsing {
  private Parsing() {}

  static SparseRow parse(RowParser parser, String line) {
    byte[] b = line.getBytes(StandardCharsets.UTF_8);
    return parser.parse(b, 0, b.length);
  }
}
