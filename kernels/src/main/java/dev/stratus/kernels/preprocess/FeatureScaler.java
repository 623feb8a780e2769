package dev.stratus.kernels.preprocess;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.FeatureIndexMap;
import dev.stratus.kernels.dataset.FeatureStatistics;
import dev.stratus.kernels.dataset.ScalingMethod;

/**
 * Multiplies each feature by one factor computed from its statistics, so zeros stay zeros and a sparse row stays
 * sparse:
 *
 * <ul>
 *   <li>{@link ScalingMethod#MIN_MAX_SCALING}: {@code 1 / max|x|}. For a non-negative feature with absent values
 *       (its minimum is 0) this is exactly min-max scaling to [0, 1]; true min-max on a feature with a non-zero
 *       minimum would shift every absent zero to {@code -min/(max-min)} and make the row dense, so we divide only.
 *   <li>{@link ScalingMethod#STANDARD}: {@code 1 / sd}, the standard deviation over all rows. Centering would likewise
 *       turn every absent value into {@code -mean/sd}; on sparse data the usual choice (scikit-learn's
 *       {@code StandardScaler(with_mean=False)}) is to scale only, and a model with a bias term absorbs the mean.
 * </ul>
 *
 * A feature without statistics (absent from the data they came from) or with a zero spread is left as it is.
 */
public final class FeatureScaler {
  private final FeatureIndexMap positions;
  private final float[] factors;

  public FeatureScaler(FeatureStatistics statistics, ScalingMethod method) {
    int n = statistics.size();
    positions = new FeatureIndexMap(n);
    factors = new float[n];
    for (int k = 0; k < n; k++) {
      positions.getOrAdd(statistics.index(k));
      double spread = method == ScalingMethod.MIN_MAX_SCALING
          ? statistics.maxAbs(k)
          : statistics.standardDeviation(k);
      factors[k] = spread > 0 ? (float) (1 / spread) : 1f;
    }
  }

  public SparseRow scale(SparseRow row) {
    int[] indices = row.indices();
    float[] values = row.values();
    float[] scaled = new float[values.length];
    for (int i = 0; i < indices.length; i++) {
      int k = positions.get(indices[i]);
      scaled[i] = k < 0 ? values[i] : values[i] * factors[k];
    }
    // the index array is shared, not copied: rows never change their arrays
    return new SparseRow(row.label(), indices, scaled);
  }
}
