package dev.stratus.kernels.sgd;

/**
 * The gradient of the logistic loss over a {@link Minibatch}, computed against the model values pulled for its keys.
 * This is the "compute gradient" step of every worker iteration; it allocates nothing.
 */
public final class LogisticGradient {
  private LogisticGradient() {}

  /**
   * Writes the mean gradient of the batch into {@code gradient[0, keyCount)} and returns the batch's summed logloss
   * at {@code weights} (free to compute here, and what the worker reports as its training loss).
   *
   * @param weights model values aligned with {@link Minibatch#keyBuffer()}, the bias last
   */
  public static double compute(Minibatch batch, float[] weights, float[] gradient) {
    int keyCount = batch.keyCount();
    int bias = keyCount - 1;
    java.util.Arrays.fill(gradient, 0, keyCount, 0f);
    double lossSum = 0;
    for (int r = 0; r < batch.rows(); r++) {
      int start = batch.rowStart(r);
      int end = batch.rowStart(r + 1);
      double margin = weights[bias];
      for (int e = start; e < end; e++) {
        margin += weights[batch.slot(e)] * batch.value(e);
      }
      float label = batch.label(r);
      // One exponential serves both the loss and the probability.
      double tail = tail(margin);
      lossSum += logloss(margin, label, tail);
      float residual = (float) (sigmoid(margin, tail) - label);
      for (int e = start; e < end; e++) {
        gradient[batch.slot(e)] += residual * batch.value(e);
      }
      gradient[bias] += residual;
    }
    float scale = 1f / batch.rows();
    for (int k = 0; k < keyCount; k++) {
      gradient[k] *= scale;
    }
    return lossSum;
  }

  public static double sigmoid(double margin) {
    return sigmoid(margin, tail(margin));
  }

  /** The logistic loss of a margin for a 0/1 label, stable for margins of any size. */
  public static double logloss(double margin, float label) {
    return logloss(margin, label, tail(margin));
  }

  /** {@code exp(-|margin|)}, in (0, 1]: both the loss and the probability are written in it without overflow. */
  private static double tail(double margin) {
    return Math.exp(-Math.abs(margin));
  }

  private static double sigmoid(double margin, double tail) {
    return margin >= 0 ? 1 / (1 + tail) : tail / (1 + tail);
  }

  private static double logloss(double margin, float label, double tail) {
    return Math.log1p(tail) + Math.max(margin, 0) - label * margin;
  }
}
