package dev.stratus.kernels.text;

import dev.stratus.kernels.data.SparseRow;
import java.util.List;

/**
 * LIBSVM text: {@code label index:value index:value ...} with 1-based, strictly increasing indices; blank lines and
 * {@code #} comments are ignored. Index {@code i} becomes feature {@code i - 1}. Labels -1/+1 become 0/1, other numeric
 * labels are kept (regression), or with a class count K must be whole numbers 0..K-1; explicit zero values are dropped,
 * as the format means them to be.
 */
public final class LibsvmFormat implements TextFormat {
  private static final long serialVersionUID = 1L;
  /** The most classes a format takes; labels are stored as floats, which hold whole numbers exactly well past it. */
  public static final int MAX_CLASSES = 1_000_000;

  private final long features;
  private final int classes;

  /** @param features size of the feature space (indices 1..features), or 0 to take it from the largest index */
  public LibsvmFormat(long features) {
    this(features, 0);
  }

  /**
   * @param features size of the feature space (indices 1..features), or 0 to take it from the largest index
   * @param classes the class count K (whole labels 0..K-1), or 0 for labels of any number
   */
  public LibsvmFormat(long features, int classes) {
    if (features < 0 || features > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("features must be in 1.." + Integer.MAX_VALUE + " (or 0: from the data), got "
          + features);
    }
    this.features = features;
    this.classes = checkClasses(classes);
  }

  @Override
  public RowParser newParser() {
    return new Parser(features, classes);
  }

  static int checkClasses(int classes) {
    if (classes != 0 && (classes < 2 || classes > MAX_CLASSES)) {
      throw new IllegalArgumentException(
          "classes must be in [2, " + MAX_CLASSES + "] (or 0: labels of any number), got " + classes);
    }
    return classes;
  }

  /**
   * A label as LIBSVM and CSV files write it: a number, with -1 meaning the negative class 0; with {@code classes}
   * other than 0, a whole number below it.
   */
  static float parseLabel(byte[] b, int from, int to, int classes) {
    double label = Numbers.parseDouble(b, from, to);
    if (Double.isNaN(label) || Double.isInfinite(label)) {
      throw new RecordProblem("bad label '" + Numbers.text(b, from, to) + "' (expected a number such as 0, 1, -1)");
    }
    if (label == -1) {
      label = 0;
    }
    if (classes != 0 && (label < 0 || label >= classes || label != Math.rint(label))) {
      throw new RecordProblem("label " + Numbers.text(b, from, to) + " is not a class: classes(" + classes
          + ") takes whole labels 0 to " + (classes - 1));
    }
    return (float) label;
  }

  private static final class Parser implements RowParser {
    private final long features;
    private final int classes;
    private final long maxIndex;
    private final RowBuilder row = new RowBuilder();

    Parser(long features, int classes) {
      this.features = features;
      this.classes = classes;
      this.maxIndex = features > 0 ? features : Integer.MAX_VALUE;
    }

    @Override
    public SparseRow parse(byte[] b, int from, int to) {
      int i = skipBlanks(b, from, to);
      if (i == to || b[i] == '#') {
        return null;
      }
      int tokenEnd = tokenEnd(b, i, to);
      float label = parseLabel(b, i, tokenEnd, classes);
      row.clear();
      int previous = -1;
      for (i = skipBlanks(b, tokenEnd, to); i < to && b[i] != '#'; i = skipBlanks(b, tokenEnd, to)) {
        tokenEnd = tokenEnd(b, i, to);
        int colon = i;
        while (colon < tokenEnd && b[colon] != ':') {
          colon++;
        }
        if (colon == tokenEnd) {
          throw new RecordProblem("expected index:value, got '" + Numbers.text(b, i, tokenEnd) + "'");
        }
        long index = Numbers.parseLong(b, i, colon);
        if (index == Long.MIN_VALUE) {
          throw new RecordProblem("bad index '" + Numbers.text(b, i, colon) + "' (expected a positive integer)");
        }
        if (index < 1 || index > maxIndex) {
          throw new RecordProblem("index " + index + " out of range 1.." + maxIndex + " (LIBSVM indices start at 1)");
        }
        int feature = (int) (index - 1);
        if (feature <= previous) {
          throw new RecordProblem(feature == previous
              ? "duplicate index " + index
              : "indices must increase: " + index + " after " + (previous + 1));
        }
        previous = feature;
        double value = Numbers.parseDouble(b, colon + 1, tokenEnd);
        if (Double.isNaN(value) || Double.isInfinite(value)) {
          throw new RecordProblem(
              "non-numeric value '" + Numbers.text(b, colon + 1, tokenEnd) + "' of index " + index);
        }
        if (value != 0) {
          row.add(feature, (float) value);
        }
      }
      return row.build(label);
    }

    @Override
    public long featureCount() {
      return features;
    }

    @Override
    public List<String> namedFeatures() {
      return List.of();
    }

    private static int skipBlanks(byte[] b, int i, int to) {
      while (i < to && (b[i] == ' ' || b[i] == '\t')) {
        i++;
      }
      return i;
    }

    private static int tokenEnd(byte[] b, int i, int to) {
      while (i < to && b[i] != ' ' && b[i] != '\t') {
        i++;
      }
      return i;
    }
  }
}
