package dev.stratus.kernels.dataset;

/** Per-feature scalings that keep a sparse row sparse (a zero stays zero); see {@code FeatureScaler}. */
public enum ScalingMethod {
  /** Divide by the largest absolute value: non-negative features land in [0, 1], the others in [-1, 1]. */
  MIN_MAX_SCALING,
  /** Divide by the standard deviation (over all rows, absent values counting as zeros); no centering. */
  STANDARD
}
