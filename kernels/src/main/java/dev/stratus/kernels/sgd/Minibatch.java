package dev.stratus.kernels.sgd;

import dev.stratus.kernels.data.SparseRow;
import java.util.Arrays;

/**
 * A minibatch laid out for one pull-compute-push step: the sorted distinct model keys it touches (the last one is
 * the bias), and each row's entries rewritten as positions ("slots") in that key list, so the gradient is computed
 * over the pulled values without any lookup.
 *
 * <p>Instances are reused from batch to batch: {@link #fill} grows the buffers only when a batch is larger than any
 * before it, so a worker's steady state allocates nothing. A batch held for many passes is kept as a {@link
 * #keyedCopy}, whose slots are the model keys themselves.
 */
public final class Minibatch {
  private static final int RADIX_BITS = 11;
  private static final int RADIX_MASK = (1 << RADIX_BITS) - 1;

  private int rows;
  private float[] labels = new float[0];
  private int[] rowStart = new int[1];
  private int[] slots = new int[0];
  private float[] values = new float[0];
  private int[] keys = new int[1]; // room for the bias of a batch without entries
  private int keyCount;
  /** Where the slots put the bias: the last of the batch's keys, or, {@link #keyedCopy keyed}, the bias key. */
  private int biasSlot;
  private long[] sortScratch = new long[0];
  private long[] radixScratch = new long[0];
  /**
   * One histogram of {@link #RADIX_BITS}-bit digits per pass (a key of 31 bits takes three); made at the first sort, so
   * a {@link #keyedCopy} holds none.
   */
  private int[] digitCounts;

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
    int largestKey = 0;
    for (int r = from; r < to; r++) {
      SparseRow row = batch[r];
      int local = r - from;
      labels[local] = row.label();
      rowStart[local] = at;
      int[] idx = row.indices();
      System.arraycopy(row.values(), 0, values, at, idx.length);
      if (idx.length > 0) {
        largestKey = Math.max(largestKey, idx[idx.length - 1]); // a row's indices ascend
      }
      for (int j = 0; j < idx.length; j++, at++) {
        // key in the high half, entry position in the low half: one sort groups entries by key.
        sortScratch[at] = ((long) idx[j] << 32) | at;
      }
    }
    rowStart[rows] = at;
    long[] sorted = sortByKey(nnz, 32 - Integer.numberOfLeadingZeros(largestKey));
    // without a branch: whether a key repeats the one before it is a coin toss a mispredicted branch paid for
    int last = -1;
    long previousKey = -1;
    for (int i = 0; i < nnz; i++) {
      long key = sorted[i] >>> 32;
      last += key != previousKey ? 1 : 0;
      keys[last] = (int) key;
      previousKey = key;
      slots[(int) sorted[i]] = last;
    }
    keyCount = last + 1;
    biasSlot = keyCount;
    keys[keyCount++] = biasKey;
    return this;
  }

  /**
   * Sorts {@code sortScratch[0, nnz)} by the key in its high half, whose significant bits are {@code keyBits}; returns
   * the buffer that holds the result ({@code sortScratch} or {@code radixScratch}). A least-significant-digit radix
   * sort: a long minibatch has thousands of entries, and a comparison sort of them was most of a worker's time.
   */
  private long[] sortByKey(int nnz, int keyBits) {
    int passes = (keyBits + RADIX_BITS - 1) / RADIX_BITS;
    if (digitCounts == null) {
      digitCounts = new int[3 << RADIX_BITS];
    }
    Arrays.fill(digitCounts, 0, passes << RADIX_BITS, 0);
    for (int i = 0; i < nnz; i++) {
      long key = sortScratch[i] >>> 32;
      for (int p = 0; p < passes; p++) {
        digitCounts[(p << RADIX_BITS) + (int) ((key >>> (p * RADIX_BITS)) & RADIX_MASK)]++;
      }
    }
    long[] from = sortScratch;
    long[] to = radixScratch;
    for (int p = 0; p < passes; p++) {
      int base = p << RADIX_BITS;
      int shift = 32 + p * RADIX_BITS;
      if (digitCounts[base + (int) ((from[0] >>> shift) & RADIX_MASK)] == nnz) {
        continue; // every key has this digit: the pass would copy the entries in their order
      }
      int start = 0;
      for (int d = 0; d <= RADIX_MASK; d++) {
        int count = digitCounts[base + d];
        digitCounts[base + d] = start;
        start += count;
      }
      for (int i = 0; i < nnz; i++) {
        long entry = from[i];
        to[digitCounts[base + (int) ((entry >>> shift) & RADIX_MASK)]++] = entry;
      }
      long[] swap = from;
      from = to;
      to = swap;
    }
    return from;
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
    biasSlot = nnz;
    return this;
  }

  private void ensureCapacity(int rowCount, int nnz) {
    if (labels.length < rowCount) {
      labels = new float[rowCount];
      rowStart = new int[rowCount + 1];
    }
    if (slots.length < nnz || sortScratch.length < nnz) {
      int grown = Math.max(nnz, slots.length * 2);
      slots = new int[grown];
      values = new float[grown];
      sortScratch = new long[grown];
      radixScratch = new long[grown];
      keys = new int[grown + 1];
    }
  }

  /**
   * A copy of this batch for many passes rather than one step, whose slots are the model keys themselves: a pass
   * reads and sums every row's values in arrays indexed by key, without gathering the batch's values first. It holds
   * only what passes need (its entries take 8 bytes each, its keys 4), and this one's buffers stay to lay out the next.
   */
  public Minibatch keyedCopy() {
    Minibatch copy = new Minibatch();
    int entries = rowStart[rows];
    copy.rows = rows;
    copy.keyCount = keyCount;
    copy.biasSlot = keys[keyCount - 1];
    copy.slots = new int[entries];
    for (int e = 0; e < entries; e++) {
      copy.slots[e] = keys[slots[e]];
    }
    copy.values = Arrays.copyOf(values, entries);
    copy.keys = Arrays.copyOf(keys, keyCount);
    copy.labels = Arrays.copyOf(labels, rows);
    copy.rowStart = Arrays.copyOf(rowStart, rows + 1);
    return copy;
  }

  public int rows() {
    return rows;
  }

  /**
   * Adds each key's sum of squared values over the batch's rows into {@code sums}, at its slot (the bias's: one a
   * row): the shape of the loss's curvature in each weight, for a solver's diagonal preconditioner.
   */
  public void addSquares(float[] sums) {
    for (int e = 0; e < rowStart[rows]; e++) {
      sums[slots[e]] += values[e] * values[e];
    }
    sums[biasSlot] += rows;
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

  int biasSlot() {
    return biasSlot;
  }

  /** Every row's slots, entry by entry: the hot loops' own reference. */
  int[] slotArray() {
    return slots;
  }

  /** Every row's values, entry by entry. */
  float[] valueArray() {
    return values;
  }

  int slot(int entry) {
    return slots[entry];
  }

  float value(int entry) {
    return values[entry];
  }
}
