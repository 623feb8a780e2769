package dev.stratus.kernels.data;

import java.io.Serializable;
import java.util.Arrays;

/**
 * One example: a label and a sparse feature vector whose indices are strictly increasing.
 *
 * <p>The arrays are owned by the row and never copied on the hot path: callers must not change them after
 * construction. Binary labels are 0 and 1.
 */
public final class SparseRow implements Serializable {
  private static final long serialVersionUID = 1L;

  private final float label;
  private final int[] indices;
  private final float[] values;

  public SparseRow(float label, int[] indices, float[] values) {
    if (indices.length != values.length) {
      throw new IllegalArgumentException(
          "a sparse row needs one value per index: " + indices.length + " indices, " + values.length + " values");
    }
    this.label = label;
    this.indices = indices;
    this.values = values;
  }

  public float label() {
    return label;
  }

  /** Feature indices, strictly increasing. */
  public int[] indices() {
    return indices;
  }

  public float[] values() {
    return values;
  }

  public int size() {
    return indices.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SparseRow r
        && Float.compare(label, r.label) == 0
        && Arrays.equals(indices, r.indices)
        && Arrays.equals(values, r.values);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Float.hashCode(label) + Arrays.hashCode(indices)) + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder().append(label);
    for (int i = 0; i < indices.length; i++) {
      s.append(' ').append(indices[i]).append(':').append(values[i]);
    }
    return s.toString();
  }
}
