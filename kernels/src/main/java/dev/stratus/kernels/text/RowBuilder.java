package dev.stratus.kernels.text;

import dev.stratus.kernels.data.SparseRow;
import java.util.Arrays;

/**
 * Collects one row's (index, value) pairs in reusable arrays and builds the {@link SparseRow}: either as added (the
 * parser checked the order, as LIBSVM's does) or sorted, adding up the values of equal indices (hashed features whose
 * hashes collide).
 */
public final class RowBuilder {
  private int[] indices = new int[64];
  private float[] values = new float[64];
  private int size;

  public void clear() {
    size = 0;
  }

  public void add(int index, float value) {
    if (size == indices.length) {
      indices = Arrays.copyOf(indices, size * 2);
      values = Arrays.copyOf(values, size * 2);
    }
    indices[size] = index;
    values[size++] = value;
  }

  /** The row as added: the caller guarantees the indices increase. */
  public SparseRow build(float label) {
    return new SparseRow(label, Arrays.copyOf(indices, size), Arrays.copyOf(values, size));
  }

  /** The row with its pairs sorted by index, the values of equal indices summed. */
  public SparseRow sortMergeAndBuild(float label) {
    if (size <= 64) {
      insertionSort(); // rows of a few dozen features, often partly sorted already
    } else {
      packedSort();
    }
    int n = 0;
    for (int i = 0; i < size; i++) {
      if (n > 0 && indices[n - 1] == indices[i]) {
        values[n - 1] += values[i];
      } else {
        indices[n] = indices[i];
        values[n++] = values[i];
      }
    }
    size = n;
    return build(label);
  }

  private void insertionSort() {
    for (int i = 1; i < size; i++) {
      int index = indices[i];
      float value = values[i];
      int j = i - 1;
      while (j >= 0 && indices[j] > index) {
        indices[j + 1] = indices[j];
        values[j + 1] = values[j];
        j--;
      }
      indices[j + 1] = index;
      values[j + 1] = value;
    }
  }

  /** Sorts by packing (index, value bits) into longs: indices are non-negative, so the longs order by index. */
  private void packedSort() {
    long[] packed = new long[size];
    for (int i = 0; i < size; i++) {
      packed[i] = ((long) indices[i] << 32) | (Float.floatToRawIntBits(values[i]) & 0xFFFFFFFFL);
    }
    Arrays.sort(packed);
    for (int i = 0; i < size; i++) {
      indices[i] = (int) (packed[i] >>> 32);
      values[i] = Float.intBitsToFloat((int) packed[i]);
    }
  }
}
