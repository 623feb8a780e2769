package dev.stratus.kernels.preprocess;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.text.FeatureHasher;
import dev.stratus.kernels.text.RowBuilder;

/**
 * Moves a row into a smaller feature space of {@code 2^bits}: the named (unhashed) features keep their indices, the
 * others are hashed again; features that collide are summed. One instance per thread (it reuses a buffer).
 */
public final class FeatureRehasher {
  private final FeatureHasher hasher;
  private final RowBuilder row = new RowBuilder();

  public FeatureRehasher(int bits, int namedFeatures) {
    this.hasher = new FeatureHasher(bits, namedFeatures);
  }

  public SparseRow rehash(SparseRow input) {
    row.clear();
    int[] indices = input.indices();
    float[] values = input.values();
    for (int i = 0; i < indices.length; i++) {
      row.add(hasher.rehash(indices[i]), values[i]);
    }
    return row.sortMergeAndBuild(input.label());
  }
}
