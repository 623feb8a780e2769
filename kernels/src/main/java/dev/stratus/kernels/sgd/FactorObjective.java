package dev.stratus.kernels.sgd;

/**
 * A matrix factorization of rank {@code rank} ({@link FactorModel}): its factors start small and random, since at
 * zero every gradient of a product vanishes, and its predictions start from {@code mean}, the training ratings' mean
 * (NaN until the driver has read it: {@link #withMean}), so the biases learn offsets, not the whole scale.
 */
public record FactorObjective(int rank, float mean) implements Objective {
  /** Factors start uniform in [-0.1, 0.1]: their products near 0, yet gradients flow. */
  private static final float INIT_SCALE = 0.1f;

  public FactorObjective {
    if (rank < 1) {
      throw new IllegalArgumentException("a factorization needs rank 1 or more, got " + rank);
    }
  }

  /** Rank {@code rank}, its mean to be read from the training ratings. */
  public static FactorObjective ofRank(int rank) {
    return new FactorObjective(rank, Float.NaN);
  }

  /** This factorization starting from {@code trainingMean}. */
  public FactorObjective withMean(double trainingMean) {
    return new FactorObjective(rank, (float) trainingMean);
  }

  @Override
  public int columns() {
    return rank + 1;
  }

  @Override
  public boolean penalisesAllValues() {
    return false;
  }

  @Override
  public float initScale() {
    return INIT_SCALE;
  }

  @Override
  public String lossName() {
    return "squared error";
  }

  @Override
  public double gradient(Minibatch batch, float[] weights, float[] gradient) {
    return FactorGradient.compute(rank, mean, batch, weights, gradient);
  }

  @Override
  public FactorModel model(float[] weights) {
    return new FactorModel(weights, rank, mean);
  }
}
