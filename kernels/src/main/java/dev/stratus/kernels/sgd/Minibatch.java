package dev.stratus.kernels.sgd;

import dev.stratus.kernels.data.SparseRow;
import java.util.Arrays;

/**
 * A minibatch laid out for one pull-compute-push step: the sorted distinct model keys it touches (the last one is
 * the bias), and each row's entries rewritten as positions ("slots") in that key list, so the gradient is computed
 * over the pulled values without any lookup.
 *
 * <p>Instances are reused from batch to batch: {@link #fill} grows the buffers only when a batch is larger than any
 * before it, so a worker's steady state allocates nothing.
 */
public final class Minibatch {
  private int rows;
  private float[] labels = new float[0];
  private int[] rowStart = new int[1];
  private int[] slots = new int[0];
  private float[] values = new float[0];
  private int[] keys = new int[0];
  private int keyCount;
  private long[] sortScratch = new long[0];

  /**
   * Lays out {@code batch[from, to)}; {@code biasKey} must be larger than every feature index (it is the feature
   * count), so it sorts last.
   */
  public Minibatch fill(SparseRow[] batch, int from, int to, int biasKey) {
    if (to - from == 1) {
      return fillOne(batch[from], biasKey);
    }
    rows = to - from;
    int nnz = 0;
    for (int r = from; r < to; r++) {
      nnz += batch[r].size();
    }
    ensureCapacity(rows, nnz);
    int at = 0;
    for (int r = from; r < to; r++) {
      SparseRow row = batch[r];
      int local = r - from;
      labels[local] = row.label();
      rowStart[local] = at;
      int[] idx = row.indices();
      System.arraycopy(row.values(), 0, values, at, idx.length);
      for (int j = 0; j < idx.length; j++, at++) {
        // key in the high half, entry position in the low half: one sort groups entries by key.
        sortScratch[at] = ((long) idx[j] << 32) | at;
      }
    }
    rowStart[rows] = at;
    Arrays.sort(sortScratch, 0, nnz);
    keyCount = 0;
    long previousKey = -1;
    for (int i = 0; i < nnz; i++) {
      long key = sortScratch[i] >>> 32;
      if (key != previousKey) {
        keys[keyCount++] = (int) key;
        previousKey = key;
      }
      slots[(int) sortScratch[i]] = keyCount - 1;
    }
    keys[keyCount++] = biasKey;
    return this;
  }

  /** One row's indices are already sorted and distinct: they are the keys, in order, with no sort. */
  private Minibatch fillOne(SparseRow row, int biasKey) {
    int nnz = row.size();
    rows = 1;
    ensureCapacity(1, nnz);
    labels[0] = row.label();
    rowStart[0] = 0;
    rowStart[1] = nnz;
    System.arraycopy(row.values(), 0, values, 0, nnz);
    System.arraycopy(row.indices(), 0, keys, 0, nnz);
    for (int e = 0; e < nnz; e++) {
      slots[e] = e;
    }
    keys[nnz] = biasKey;
    keyCount = nnz + 1;
    return this;
  }

  private void ensureCapacity(int rowCount, int nnz) {
    if (labels.length < rowCount) {
      labels = new float[rowCount];
      rowStart = new int[rowCount + 1];
    }
    if (slots.length < nnz) {
      int grown = Math.max(nnz, slots.length * 2);
      slots = new int[grown];
      values = new float[grown];
      sortScratch = new long[grown];
      keys = new int[grown + 1];
    }
  }

  public int rows() {
    return rows;
  }

  /** The distinct model keys this batch touches, ascending; the last is the bias. */
  public int[] keys() {
    return Arrays.copyOf(keys, keyCount);
  }

  /** Number of valid entries at the front of {@link #keyBuffer()}. */
  public int keyCount() {
    return keyCount;
  }

  /** The key buffer itself, valid up to {@link #keyCount()}: no copy, for the hot path. */
  public int[] keyBuffer() {
    return keys;
  }

  float label(int row) {
    return labels[row];
  }

  int rowStart(int row) {
    return rowStart[row];
  }

  int slot(int entry) {
    return slots[entry];
  }

  float value(int entry) {
    return values[entry];
  }
}
