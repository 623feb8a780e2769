package dev.stratus.kernels.sgd;

/**
 * The gradient of a matrix factorization's squared error over a {@link Minibatch} of rating rows ({@link FactorModel}'s
 * layout, {@code rank + 1} values a key: factors, then bias; the last key's bias the global offset), computed against
 * the values pulled for its keys. It allocates nothing.
 */
public final class FactorGradient {
  private FactorGradient() {}

  /**
   * Writes the mean gradient of {@code (prediction - rating)^2} over the batch into {@code gradient}, {@code rank + 1}
   * values per key in key order, and returns the batch's summed squared error at {@code weights}.
   *
   * @param mean the constant every prediction starts from
   */
  public static double compute(int rank, float mean, Minibatch batch, float[] weights, float[] gradient) {
    int columns = rank + 1;
    int keyCount = batch.keyCount();
    int offset = (keyCount - 1) * columns + rank;
    java.util.Arrays.fill(gradient, 0, keyCount * columns, 0f);
    double lossSum = 0;
    for (int r = 0; r < batch.rows(); r++) {
      int start = batch.rowStart(r);
      if (batch.rowStart(r + 1) - start != 2) {
        throw new IllegalArgumentException("a rating row has a user and an item, 2 features; row " + r
            + " of the batch has " + (batch.rowStart(r + 1) - start));
      }
      int user = batch.slot(start) * columns;
      int item = batch.slot(start + 1) * columns;
      double prediction = mean + weights[offset] + weights[user + rank] + weights[item + rank];
      for (int f = 0; f < rank; f++) {
        prediction += weights[user + f] * weights[item + f];
      }
      double error = prediction - batch.label(r);
      lossSum += error * error;
      float slope = (float) (2 * error);
      for (int f = 0; f < rank; f++) {
        gradient[user + f] += slope * weights[item + f];
        gradient[item + f] += slope * weights[user + f];
      }
      gradient[user + rank] += slope;
      gradient[item + rank] += slope;
      gradient[offset] += slope;
    }
    float scale = 1f / batch.rows();
    for (int k = 0; k < keyCount * columns; k++) {
      gradient[k] *= scale;
    }
    return lossSum;
  }
}
