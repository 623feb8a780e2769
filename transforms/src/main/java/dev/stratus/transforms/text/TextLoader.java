package dev.stratus.transforms.text;

import dev.stratus.transforms.data.SparseRow;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop every loader runs over one input file: split lines, parse, hand rows on, and deal with malformed lines
 * (fail naming file, line and text, or skip and count them).
 */
public final class TextLoader {
  private static final Logger LOG = LoggerFactory.getLogger(TextLoader.class);

  private TextLoader() {}

  /** What one file yielded. */
  public record Result(long rows, long badRecords, long bytes) {}

  /**
   * Parses every line of {@code in} (the file named {@code file}) with {@code parser} and passes the rows to
   * {@code rows}; closes {@code in}.
   *
   * @throws BadRecordException on the first malformed line unless {@code skipBadRecords}
   */
  public static Result load(
      String file, InputStream in, RowParser parser, boolean skipBadRecords, Consumer<SparseRow> rows) {
    long count = 0;
    long bad = 0;
    try (LineReader lines = new LineReader(in)) {
      while (lines.next()) {
        SparseRow row;
        try {
          row = parser.parse(lines.buffer(), lines.start(), lines.end());
        } catch (RecordProblem problem) {
          if (!skipBadRecords || problem.fatal()) {
            throw new BadRecordException(file, lines.lineNumber(), problem.getMessage(), lines.text());
          }
          if (bad++ == 0) {
            LOG.warn("skipping malformed records of {}, the first at line {}: {}", file, lines.lineNumber(),
                problem.getMessage());
          }
          continue;
        }
        if (row != null) {
          rows.accept(row);
          count++;
        }
      }
      return new Result(count, bad, lines.bytesRead());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
