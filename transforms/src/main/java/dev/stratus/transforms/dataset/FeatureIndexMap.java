package dev.stratus.transforms.dataset;

import java.util.Arrays;

/**
 * Maps non-negative feature indices to dense positions 0, 1, 2... in order of first insertion: open addressing over
 * primitive arrays, because a hashed feature space is too large for a dense array and a {@code HashMap<Integer,...>}
 * too slow on the per-value path.
 */
public final class FeatureIndexMap {
  private static final int EMPTY = -1;

  private int[] keys;
  private int[] positions;
  private int size;
  private int mask;

  public FeatureIndexMap(int expected) {
    int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
    keys = new int[capacity];
    positions = new int[capacity];
    Arrays.fill(keys, EMPTY);
    mask = capacity - 1;
  }

  public int size() {
    return size;
  }

  /** The position of {@code feature}, or -1 if it was never added. */
  public int get(int feature) {
    for (int slot = mix(feature) & mask; ; slot = (slot + 1) & mask) {
      int key = keys[slot];
      if (key == feature) {
        return positions[slot];
      }
      if (key == EMPTY) {
        return -1;
      }
    }
  }

  /** The position of {@code feature}, adding it as position {@link #size()} if new. */
  public int getOrAdd(int feature) {
    for (int slot = mix(feature) & mask; ; slot = (slot + 1) & mask) {
      int key = keys[slot];
      if (key == feature) {
        return positions[slot];
      }
      if (key == EMPTY) {
        keys[slot] = feature;
        positions[slot] = size;
        if (++size * 2 > keys.length) {
          grow();
        }
        return size - 1;
      }
    }
  }

  private void grow() {
    int[] oldKeys = keys;
    int[] oldPositions = positions;
    keys = new int[oldKeys.length * 2];
    positions = new int[oldKeys.length * 2];
    Arrays.fill(keys, EMPTY);
    mask = keys.length - 1;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != EMPTY) {
        int slot = mix(oldKeys[i]) & mask;
        while (keys[slot] != EMPTY) {
          slot = (slot + 1) & mask;
        }
        keys[slot] = oldKeys[i];
        positions[slot] = oldPositions[i];
      }
    }
  }

  private static int mix(int key) {
    int h = key * 0x9E3779B9;
    return h ^ (h >>> 16);
  }
}
