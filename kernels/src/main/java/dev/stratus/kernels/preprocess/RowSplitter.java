package dev.stratus.kernels.preprocess;

import dev.stratus.kernels.data.SparseRow;
import java.io.Serializable;

/**
 * Decides a row's side of a train/test split from a hash of its content and a seed: the same rows split the same way
 * on every run, whatever the partitioning, and duplicate rows never end up on both sides.
 */
public final class RowSplitter implements Serializable {
  private static final long serialVersionUID = 1L;

  private final double fraction;
  private final long seed;

  /** @param fraction share of rows that go to the first side, in (0, 1) */
  public RowSplitter(double fraction, long seed) {
    if (!(fraction > 0 && fraction < 1)) {
      throw new IllegalArgumentException("the split fraction must be strictly between 0 and 1, got " + fraction);
    }
    this.fraction = fraction;
    this.seed = seed;
  }

  /** True when {@code row} belongs to the first side (train). */
  public boolean first(SparseRow row) {
    long h = mix(seed ^ Float.floatToIntBits(row.label()));
    int[] indices = row.indices();
    float[] values = row.values();
    for (int i = 0; i < indices.length; i++) {
      h = mix(h ^ (((long) indices[i] << 32) | (Float.floatToIntBits(values[i]) & 0xFFFFFFFFL)));
    }
    return (h >>> 11) * 0x1.0p-53 < fraction;
  }

  /** SplitMix64's finalizer: every input bit flips about half the output bits. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
