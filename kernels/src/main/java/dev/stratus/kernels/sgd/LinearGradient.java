package dev.stratus.kernels.sgd;

/**
 * The gradient of a linear model's loss over a {@link Minibatch}, computed against the model values pulled for its
 * keys. This is the "compute gradient" step of every worker iteration; it allocates nothing.
 */
public final class LinearGradient {
  private LinearGradient() {}

  /**
   * Writes the mean gradient of {@code loss} over the batch into {@code gradient[0, keyCount)} and returns the batch's
   * summed loss at {@code weights} (free to compute here, and what the worker reports as its training loss).
   *
   * @param weights model values aligned with {@link Minibatch#keyBuffer()}, the bias last
   */
  public static double compute(LinearLoss loss, Minibatch batch, float[] weights, float[] gradient) {
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
      double slope;
      if (loss == LinearLoss.LOGISTIC) {
        double tail = LinearLoss.tail(margin); // one exponential serves both the loss and the probability
        lossSum += LinearLoss.logloss(margin, label, tail);
        slope = LinearLoss.sigmoid(margin, tail) - label;
      } else {
        lossSum += loss.value(margin, label);
        slope = loss.slope(margin, label);
      }
      if (slope == 0) {
        continue; // a row the hinge no longer sees: it adds nothing
      }
      float residual = (float) slope;
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
}
