package dev.stratus.kernels.text;

import dev.stratus.kernels.data.SparseRow;
import java.util.List;

/** Turns lines of one input file into rows; a new parser per file (a CSV parser reads the file's header). */
public interface RowParser {
  /**
   * The row on the line {@code line[from, to)}, or null when the line holds none (blank line, comment, header).
   *
   * @throws RecordProblem when the line is malformed
   */
  SparseRow parse(byte[] line, int from, int to);

  /** Size of the feature space, or 0 when only the rows tell (LIBSVM without a declared size). */
  long featureCount();

  /** Names of the leading, unhashed features. */
  List<String> namedFeatures();

  /** True when the file's first line is a header this parser must read before any other line. */
  default boolean readsHeader() {
    return false;
  }
}
