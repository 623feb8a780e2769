package dev.stratus.kernels.text;

import dev.stratus.kernels.data.SparseRow;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop every loader runs over one input file or {@link FileRange}: split lines, parse, hand rows on, and deal with
 * malformed lines (fail naming file, line and text, or skip and count them).
 */
public final class TextLoader {
  private static final Logger LOG = LoggerFactory.getLogger(TextLoader.class);

  private TextLoader() {}

  /** What one file or range yielded; {@code bytes} read from the input. */
  public record Result(long rows, long badRecords, long bytes) {}

  /**
   * Parses every line of {@code in} (the whole file named {@code file}) and passes the rows to {@code rows}; closes
   * {@code in}.
   *
   * @throws BadRecordException on the first malformed line unless {@code skipBadRecords}
   */
  public static Result load(
      String file, InputStream in, RowParser parser, boolean skipBadRecords, Consumer<SparseRow> rows) {
    return load(FileRange.whole(file), offset -> in, parser, skipBadRecords, rows);
  }

  /**
   * Parses the lines that start in {@code range} and passes the rows to {@code rows}. {@code open} opens the file at a
   * byte offset: at the byte before the range (which tells whether the range starts with a whole line), and at 0 for
   * the header of a range after the first, or to count lines for an error message.
   *
   * @throws BadRecordException on the first malformed line unless {@code skipBadRecords}
   */
  public static Result load(FileRange range, LongFunction<InputStream> open, RowParser parser,
      boolean skipBadRecords, Consumer<SparseRow> rows) {
    String file = range.file();
    boolean first = range.start() == 0;
    long base = first ? 0 : range.start() - 1;
    long count = 0;
    long bad = 0;
    try {
      long header = !first && parser.readsHeader() ? readHeader(file, open, parser, skipBadRecords) : -1;
      try (LineReader lines = new LineReader(open.apply(base))) {
        if (!first && !lines.next()) {
          return new Result(0, 0, 0); // only the end of a line that started in the range before
        }
        while (lines.next() && base + lines.offset() < range.end()) {
          if (base + lines.offset() == header) {
            continue; // read already: a range starting in the blank lines before the header holds it
          }
          SparseRow row;
          try {
            row = parser.parse(lines.buffer(), lines.start(), lines.end());
          } catch (RecordProblem problem) {
            long line = first ? lines.lineNumber() : lineNumberAt(base + lines.offset(), file, open);
            if (!skipBadRecords || problem.fatal()) {
              throw new BadRecordException(file, line, problem.getMessage(), lines.text());
            }
            if (bad++ == 0) {
              LOG.warn("skipping malformed records of {}, the first at line {}: {}", range, line, problem.getMessage());
            }
            continue;
          }
          if (row != null) {
            rows.accept(row);
            count++;
          }
        }
        return new Result(count, bad, lines.bytesRead());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Feeds the file's first line to {@code parser}; returns its offset when it was a header, or -1: a file of blank
   * lines, or a first line of data (a ratings file's), which the range holding it loads, skips or fails on.
   */
  private static long readHeader(String file, LongFunction<InputStream> open, RowParser parser, boolean skipBadRecords)
      throws IOException {
    try (LineReader lines = new LineReader(open.apply(0))) {
      while (lines.next()) {
        if (lines.end() == lines.start()) {
          continue; // blank lines before the header
        }
        try {
          return parser.parse(lines.buffer(), lines.start(), lines.end()) == null ? lines.offset() : -1;
        } catch (RecordProblem problem) {
          if (skipBadRecords && !problem.fatal()) {
            return -1; // a malformed line of data, skipped and counted by the range holding it
          }
          throw new BadRecordException(file, lines.lineNumber(), problem.getMessage(), lines.text());
        }
      }
      return -1;
    }
  }

  /** The 1-based number of the line starting at {@code offset}: only for error messages, so it may read the file. */
  private static long lineNumberAt(long offset, String file, LongFunction<InputStream> open) throws IOException {
    long newlines = 0;
    try (InputStream in = open.apply(0)) {
      byte[] buffer = new byte[1 << 16];
      for (long left = offset; left > 0; ) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (n < 0) {
          throw new IOException(file + " ended before offset " + offset);
        }
        for (int i = 0; i < n; i++) {
          newlines += buffer[i] == '\n' ? 1 : 0;
        }
        left -= n;
      }
    }
    return newlines + 1;
  }
}
