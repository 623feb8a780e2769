package dev.stratus.kernels.text;

import dev.stratus.kernels.data.SparseRow;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * CSV with a header row: a named label column, named categorical columns hashed into the feature space, ignored
 * columns, and every other column numeric, taking indices 0, 1, ... in header order. Fields may be quoted ("a,b",
 * "say ""hi"""); an empty field is a missing value. Categorical columns are hashed with a seed from their name, so files
 * whose columns come in another order hash alike. Labels are read as {@link LibsvmFormat} reads them.
 */
public final class CsvFormat implements TextFormat {
  private static final long serialVersionUID = 1L;

  private final String label;
  private final List<String> categorical;
  private final List<String> ignored;
  private final int modelBits;
  private final byte delimiter;
  private final int classes;

  /** @param classes the class count K (whole labels 0..K-1), or 0 for labels of any number */
  public CsvFormat(
      String label, List<String> categorical, List<String> ignored, int modelBits, char delimiter, int classes) {
    if (label == null || label.isBlank()) {
      throw new IllegalArgumentException("the label column must be named");
    }
    if (modelBits < 1 || modelBits > 30) {
      throw new IllegalArgumentException("modelBits must be in 1..30 (a feature space of 2^modelBits), got " + modelBits);
    }
    if (delimiter > 127 || delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
      throw new IllegalArgumentException("the delimiter must be an ASCII character other than a quote or line break");
    }
    this.label = label;
    this.categorical = List.copyOf(categorical);
    this.ignored = List.copyOf(ignored);
    this.modelBits = modelBits;
    this.delimiter = (byte) delimiter;
    this.classes = LibsvmFormat.checkClasses(classes);
  }

  @Override
  public RowParser newParser() {
    return new Parser();
  }

  private final class Parser implements RowParser {
    private static final int LABEL = -1;
    private static final int IGNORED = -2;
    private static final int CATEGORICAL = -3;

    private final RowBuilder row = new RowBuilder();
    private byte[][] fieldBytes = new byte[16][];
    private int[] fieldStart = new int[16];
    private int[] fieldEnd = new int[16];
    private String[] header;
    private int[] role; // LABEL, IGNORED, CATEGORICAL, or the feature index of a numeric column
    private int[] seeds;
    private List<String> numericNames = List.of();
    private FeatureHasher hasher;

    @Override
    public SparseRow parse(byte[] b, int from, int to) {
      if (from == to) {
        return null;
      }
      int fields = split(b, from, to);
      if (header == null) {
        readHeader(fields);
        return null;
      }
      if (fields != header.length) {
        throw new RecordProblem("expected " + header.length + " columns as in the header, found " + fields);
      }
      row.clear();
      float labelValue = 0;
      for (int f = 0; f < fields; f++) {
        byte[] fb = fieldBytes[f];
        int s = fieldStart[f];
        int e = fieldEnd[f];
        int r = role[f];
        if (r == LABEL) {
          labelValue = LibsvmFormat.parseLabel(fb, s, e, classes);
        } else if (r == CATEGORICAL) {
          if (e > s) {
            row.add(hasher.index(seeds[f], fb, s, e), 1f);
          }
        } else if (r >= 0 && e > s) {
          double v = Numbers.parseDouble(fb, s, e);
          if (Double.isNaN(v) || Double.isInfinite(v)) {
            throw new RecordProblem(
                "column '" + header[f] + "': non-numeric value '" + Numbers.text(fb, s, e) + "'");
          }
          if (v != 0) {
            row.add(r, (float) v);
          }
        }
      }
      return row.sortMergeAndBuild(labelValue);
    }

    private void readHeader(int fields) {
      header = new String[fields];
      role = new int[fields];
      seeds = new int[fields];
      Set<String> seen = new LinkedHashSet<>();
      for (int f = 0; f < fields; f++) {
        // trimmed, and without the byte-order mark that spreadsheet exports put before the first name
        header[f] = Numbers.text(fieldBytes[f], fieldStart[f], fieldEnd[f]).replace("\uFEFF", "").trim();
        if (!seen.add(header[f])) {
          throw new RecordProblem("the header names column '" + header[f] + "' twice", true);
        }
      }
      List<String> missing = new ArrayList<>();
      for (String name : concat(List.of(label), categorical, ignored)) {
        if (!seen.contains(name)) {
          missing.add(name);
        }
      }
      if (!missing.isEmpty()) {
        throw new RecordProblem("the header has no column " + String.join(", ", missing) + "; its columns are "
            + String.join(", ", seen), true);
      }
      List<String> numeric = new ArrayList<>();
      for (int f = 0; f < fields; f++) {
        if (header[f].equals(label)) {
          role[f] = LABEL;
        } else if (ignored.contains(header[f])) {
          role[f] = IGNORED;
        } else if (categorical.contains(header[f])) {
          role[f] = CATEGORICAL;
          seeds[f] = FeatureHasher.columnSeed(header[f]);
        } else {
          role[f] = numeric.size();
          numeric.add(header[f]);
        }
      }
      try {
        hasher = new FeatureHasher(modelBits, numeric.size());
      } catch (IllegalArgumentException e) {
        throw new RecordProblem(e.getMessage(), true);
      }
      numericNames = List.copyOf(numeric);
    }

    /** Splits the line into fields (unquoting quoted ones); returns their number. A bad header is fatal. */
    private int split(byte[] b, int from, int to) {
      int n = 0;
      int i = from;
      while (true) {
        if (n == fieldStart.length) {
          fieldBytes = Arrays.copyOf(fieldBytes, n * 2);
          fieldStart = Arrays.copyOf(fieldStart, n * 2);
          fieldEnd = Arrays.copyOf(fieldEnd, n * 2);
        }
        if (i < to && b[i] == '"') {
          int j = i + 1;
          boolean escapedQuotes = false;
          while (true) {
            if (j >= to) {
              throw new RecordProblem("unterminated quote in column " + (n + 1), header == null);
            }
            if (b[j] == '"') {
              if (j + 1 < to && b[j + 1] == '"') {
                escapedQuotes = true;
                j += 2;
                continue;
              }
              break;
            }
            j++;
          }
          if (escapedQuotes) {
            byte[] unquoted = new String(b, i + 1, j - i - 1, StandardCharsets.UTF_8)
                .replace("\"\"", "\"").getBytes(StandardCharsets.UTF_8);
            setField(n, unquoted, 0, unquoted.length);
          } else {
            setField(n, b, i + 1, j);
          }
          i = j + 1;
          if (i < to && b[i] != delimiter) {
            throw new RecordProblem("text after the closing quote in column " + (n + 1), header == null);
          }
        } else {
          int j = i;
          while (j < to && b[j] != delimiter) {
            j++;
          }
          setField(n, b, i, j);
          i = j;
        }
        n++;
        if (i >= to) {
          return n;
        }
        i++; // the delimiter
      }
    }

    private void setField(int n, byte[] bytes, int start, int end) {
      fieldBytes[n] = bytes;
      fieldStart[n] = start;
      fieldEnd[n] = end;
    }

    @Override
    public boolean readsHeader() {
      return true;
    }

    @Override
    public long featureCount() {
      return 1L << modelBits;
    }

    @Override
    public List<String> namedFeatures() {
      return numericNames;
    }
  }

  @SafeVarargs
  private static List<String> concat(List<String>... lists) {
    List<String> all = new ArrayList<>();
    for (List<String> l : lists) {
      all.addAll(l);
    }
    return all;
  }
}
