package dev.stratus.kernels.sgd;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.ps.Optimizer;

/**
 * The SGD kernel without a parameter server: minibatches over rows held in memory, the same gradient code a worker
 * runs, and the same update rule a shard applies, on a model in this thread's memory. It is what a worker's compute
 * costs when communication is free, and what the kernel benchmark holds against scikit-learn.
 */
public final class LocalSgd {
  private final Optimizer optimizer;
  private final float learningRate;
  private final float l2;
  private final float momentum;
  private final int biasKey;
  private final float[] weights;
  private final float[] state;
  private final Minibatch batch = new Minibatch();
  private float[] pulled = new float[64];
  private float[] gradient = new float[64];

  public LocalSgd(int features, Optimizer optimizer, float learningRate, float l2, float momentum) {
    this.optimizer = optimizer;
    this.learningRate = learningRate;
    this.l2 = l2;
    this.momentum = momentum;
    this.biasKey = features;
    this.weights = new float[features + 1];
    this.state = new float[features + 1];
  }

  /** One pass over {@code rows} in order, {@code batchSize} rows per update; returns the mean training loss. */
  public double epoch(SparseRow[] rows, int batchSize) {
    return pass(rows, 0, rows.length, batchSize);
  }

  /** Trains on {@code rows[start, end)} in order; returns the mean training loss of those rows. */
  public double pass(SparseRow[] rows, int start, int end, int batchSize) {
    double lossSum = 0;
    for (int from = start; from < end; from += batchSize) {
      batch.fill(rows, from, Math.min(end, from + batchSize), biasKey);
      int n = batch.keyCount();
      int[] keys = batch.keyBuffer();
      if (pulled.length < n) {
        pulled = new float[n * 2];
        gradient = new float[n * 2];
      }
      for (int k = 0; k < n; k++) {
        pulled[k] = weights[keys[k]];
      }
      lossSum += LinearGradient.compute(LinearLoss.LOGISTIC, batch, pulled, gradient);
      optimizer.apply(weights, state, keys, gradient, n, learningRate, l2, momentum);
    }
    return lossSum / Math.max(1, end - start);
  }

  public LinearModel model() {
    return new LinearModel(weights.clone(), LinearLoss.LOGISTIC);
  }
}
