package dev.stratus.kernels.text;

import dev.stratus.kernels.data.SparseRow;
import java.util.ArrayList;
import java.util.List;

/**
 * Criteo display-ads TSV: label (0/1), 13 integer features I1..I13, 26 categorical features C1..C26 (hex strings),
 * tab-separated, any feature may be empty. In a feature space of {@code 2^modelBits}, integer feature {@code j} keeps
 * index {@code j} and categorical values are hashed (one-hot, collisions summed) into the indices above.
 *
 * <p>With the log transform an integer {@code x} becomes {@code log(1+x)}, and a negative one {@code -log(1-x)} (the
 * data has a few small negatives): the counts span six orders of magnitude, which a linear model cannot use raw.
 */
public final class CriteoFormat implements TextFormat {
  private static final long serialVersionUID = 1L;
  public static final int INTEGER_FEATURES = 13;
  public static final int CATEGORICAL_FEATURES = 26;
  public static final int COLUMNS = 1 + INTEGER_FEATURES + CATEGORICAL_FEATURES;
  public static final int MIN_BITS = 4;
  public static final int MAX_BITS = 30;
  private static final List<String> INTEGER_NAMES = integerNames();

  private final int modelBits;
  private final boolean logTransform;

  public CriteoFormat(int modelBits, boolean logTransform) {
    if (modelBits < MIN_BITS || modelBits > MAX_BITS) {
      throw new IllegalArgumentException("modelBits must be in " + MIN_BITS + ".." + MAX_BITS + " (a feature space of"
          + " 2^modelBits, 13 of them for the integer features), got " + modelBits);
    }
    this.modelBits = modelBits;
    this.logTransform = logTransform;
  }

  @Override
  public RowParser newParser() {
    return new Parser(modelBits, logTransform);
  }

  /** The transform applied to integer features when {@code logTransform} is on. */
  public static float logTransform(long x) {
    // 1 + x is exact for these integers, so Math.log (an intrinsic) is as precise here as the slower Math.log1p
    return (float) (x >= 0 ? Math.log(1.0 + x) : -Math.log(1.0 - x));
  }

  private static List<String> integerNames() {
    List<String> names = new ArrayList<>();
    for (int j = 1; j <= INTEGER_FEATURES; j++) {
      names.add("I" + j);
    }
    return List.copyOf(names);
  }

  private static final class Parser implements RowParser {
    private final FeatureHasher hasher;
    private final int[] columnSeeds = new int[CATEGORICAL_FEATURES];
    private final long featureCount;
    private final boolean logTransform;
    private final RowBuilder row = new RowBuilder();

    Parser(int modelBits, boolean logTransform) {
      this.hasher = new FeatureHasher(modelBits, INTEGER_FEATURES);
      this.featureCount = 1L << modelBits;
      this.logTransform = logTransform;
      for (int c = 0; c < CATEGORICAL_FEATURES; c++) {
        columnSeeds[c] = FeatureHasher.columnSeed(c);
      }
    }

    @Override
    public SparseRow parse(byte[] b, int from, int to) {
      if (from == to) {
        return null;
      }
      row.clear();
      int start = from;
      int column = 0;
      float label = 0;
      for (int i = from; ; i++) {
        if (i < to && b[i] != '\t') {
          continue;
        }
        // field [start, i) is column `column`
        if (column == 0) {
          if (i - start != 1 || (b[start] != '0' && b[start] != '1')) {
            throw new RecordProblem("bad label '" + Numbers.text(b, start, i) + "' (expected 0 or 1)");
          }
          label = b[start] - '0';
        } else if (column <= INTEGER_FEATURES) {
          if (i > start) {
            long x = Numbers.parseLong(b, start, i);
            if (x == Long.MIN_VALUE) {
              throw new RecordProblem(
                  "integer feature I" + column + ": non-numeric value '" + Numbers.text(b, start, i) + "'");
            }
            if (x != 0) {
              row.add(column - 1, logTransform ? logTransform(x) : (float) x);
            }
          }
        } else if (column < COLUMNS) {
          if (i > start) {
            row.add(hasher.index(columnSeeds[column - 1 - INTEGER_FEATURES], b, start, i), 1f);
          }
        }
        column++;
        if (i >= to) {
          break;
        }
        start = i + 1;
      }
      if (column != COLUMNS) {
        throw new RecordProblem("expected " + COLUMNS + " tab-separated columns (label, I1..I13, C1..C26), found "
            + column);
      }
      return row.sortMergeAndBuild(label);
    }

    @Override
    public long featureCount() {
      return featureCount;
    }

    @Override
    public List<String> namedFeatures() {
      return INTEGER_NAMES;
    }
  }
}
