package dev.stratus.kernels.dataset;

import java.util.Arrays;

/**
 * Maps non-negative feature indices to dense positions 0, 1, 2... in order of first insertion: open addressing over
 * primitive arrays, because a hashed feature space is too large for a dense array and a {@code HashMap<Integer,...>}
 * too slow on the per-value path.
 */
public final class FeatureIndexMap {
  private static final int EMPTY = -1;

  // key and position side by side, so a lookup touches one cache line: the map is far larger than the caches
  private int[] table;
  private int size;
  private int mask;

  public FeatureIndexMap(int expected) {
    int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
    table = new int[capacity * 2];
    Arrays.fill(table, EMPTY);
    mask = capacity - 1;
  }

  public int size() {
    return size;
  }

  /** The position of {@code feature}, or -1 if it was never added. */
  public int get(int feature) {
    for (int slot = mix(feature) & mask; ; slot = (slot + 1) & mask) {
      int key = table[2 * slot];
      if (key == feature) {
        return table[2 * slot + 1];
      }
      if (key == EMPTY) {
        return -1;
      }
    }
  }

  /** The position of {@code feature}, adding it as position {@link #size()} if new. */
  public int getOrAdd(int feature) {
    for (int slot = mix(feature) & mask; ; slot = (slot + 1) & mask) {
      int key = table[2 * slot];
      if (key == feature) {
        return table[2 * slot + 1];
      }
      if (key == EMPTY) {
        table[2 * slot] = feature;
        table[2 * slot + 1] = size;
        if (++size * 2 > mask + 1) {
          grow();
        }
        return size - 1;
      }
    }
  }

  private void grow() {
    int[] old = table;
    table = new int[old.length * 2];
    Arrays.fill(table, EMPTY);
    mask = table.length / 2 - 1;
    for (int i = 0; i < old.length; i += 2) {
      if (old[i] != EMPTY) {
        int slot = mix(old[i]) & mask;
        while (table[2 * slot] != EMPTY) {
          slot = (slot + 1) & mask;
        }
        table[2 * slot] = old[i];
        table[2 * slot + 1] = old[i + 1];
      }
    }
  }

  /** Murmur3's finalizer: hashed feature indices differ in high bits as much as in low ones. */
  private static int mix(int key) {
    int h = key * 0x85EBCA6B;
    h ^= h >>> 13;
    h *= 0xC2B2AE35;
    return h ^ (h >>> 16);
  }
}
