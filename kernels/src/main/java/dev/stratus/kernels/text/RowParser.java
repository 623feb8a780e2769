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

  /** The number of users when the rows are ratings ({@code Ratings}), whose dataset records it; null otherwise. */
  default Integer users() {
    return null;
  }

  /**
   * True when this parser must read the file's first line before any other: a header, or a line that may be one. A
   * problem with a header must be fatal, as no line after it can be read without it.
   */
  default boolean readsHeader() {
    return false;
  }
}
