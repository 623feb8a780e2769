package dev.stratus.dsl;

import dev.stratus.kernels.text.CsvFormat;
import dev.stratus.kernels.text.LibsvmFormat;
import dev.stratus.kernels.text.TextFormat;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Loads CSV with a header row as a dataset: the {@link #label} column is the label, {@link #categorical} columns are
 * hashed into the feature space, {@link #ignore}d columns are dropped, every other column is a numeric feature (indices
 * 0, 1, ... in header order). All files must have the same columns in the same order. Labels are -1/+1 or 0/1 for a
 * binary model; with {@link #classes classes(K)}, whole labels 0..K-1.
 *
 * <pre>{@code
 * PCollection<Dataset> ads = p.apply(LoadCsv.from("data/ads.csv").label("clicked").categorical("city", "device"));
 * }</pre>
 */
public final class LoadCsv extends LoadText<LoadCsv> {
  private String label;
  private final Set<String> categorical = new LinkedHashSet<>();
  private final Set<String> ignored = new LinkedHashSet<>();
  private int modelBits = 20;
  private char delimiter = ',';
  private int classes;

  private LoadCsv(String input) {
    super(input);
  }

  /** Reads a file, a directory, an {@code s3://} object or prefix, or a glob such as {@code data/*.csv}. */
  public static LoadCsv from(String input) {
    return new LoadCsv(input);
  }

  /** The label column (required): numbers, -1 read as 0. */
  public LoadCsv label(String column) {
    requireName("label", column);
    if (categorical.contains(column) || ignored.contains(column)) {
      throw new IllegalArgumentException("label: column '" + column + "' is already categorical or ignored");
    }
    this.label = column;
    return this;
  }

  /** Columns whose values are categories, hashed one-hot into the feature space. */
  public LoadCsv categorical(String... columns) {
    for (String column : columns) {
      requireName("categorical", column);
      if (column.equals(label) || ignored.contains(column)) {
        throw new IllegalArgumentException("categorical: column '" + column + "' is already the label or ignored");
      }
      categorical.add(column);
    }
    return this;
  }

  /** Columns to drop (identifiers, free text). */
  public LoadCsv ignore(String... columns) {
    for (String column : columns) {
      requireName("ignore", column);
      if (column.equals(label) || categorical.contains(column)) {
        throw new IllegalArgumentException("ignore: column '" + column + "' is already the label or categorical");
      }
      ignored.add(column);
    }
    return this;
  }

  /** The feature space has {@code 2^bits} indices, 1..30, numeric columns included; default 20. */
  public LoadCsv modelBits(int bits) {
    if (bits < 1 || bits > 30) {
      throw new IllegalArgumentException("modelBits must be in 1..30 (a feature space of 2^modelBits), got " + bits);
    }
    this.modelBits = bits;
    return this;
  }

  /** The field separator; default ','. */
  public LoadCsv delimiter(char separator) {
    if (separator > 127 || separator == '"' || separator == '\n' || separator == '\r') {
      throw new IllegalArgumentException("delimiter: an ASCII character other than a quote or line break, got '"
          + separator + "'");
    }
    this.delimiter = separator;
    return this;
  }

  /**
   * Declares {@code count} classes (2..1,000,000) for a multi-class model: a label that is not a whole number below
   * {@code count} is a malformed record, so a stray one is caught here rather than in training. -1 still reads as 0.
   */
  public LoadCsv classes(int count) {
    this.classes = Checks.inRange("classes", count, 2, LibsvmFormat.MAX_CLASSES);
    return this;
  }

  @Override
  TextFormat format() {
    if (label == null) {
      throw new IllegalArgumentException("LoadCsv needs .label(column): which column holds the label");
    }
    return new CsvFormat(label, new ArrayList<>(categorical), new ArrayList<>(ignored), modelBits, delimiter, classes);
  }

  @Override
  String describeFormat() {
    return "CSV (label " + label + (classes > 0 ? ", " + classes + " classes" : "") + ", categorical "
        + List.copyOf(categorical) + ", modelBits " + modelBits + ")";
  }

  private static void requireName(String option, String column) {
    if (column == null || column.isBlank()) {
      throw new IllegalArgumentException(option + ": a column name, not an empty one");
    }
  }
}
