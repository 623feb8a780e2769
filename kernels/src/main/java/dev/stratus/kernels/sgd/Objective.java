package dev.stratus.kernels.sgd;

import java.io.Serializable;

/**
 * What a training learns on the parameter server: how many values a key's row holds and how they start, the gradient
 * a worker computes over a minibatch against the values it pulled, and the model the driver scores and keeps.
 */
public sealed interface Objective extends Serializable permits LinearObjective, FactorObjective {
  /** Values per key on the shards. */
  int columns();

  /** Values start uniform in [-initScale, initScale]; 0 for zeros. */
  float initScale();

  /**
   * Whether the L2 penalty is on every value at every push (a linear model's: its mean loss plus {@code l2 / 2}
   * times the squared weights, the objective liblinear solves at {@code C = 1 / (l2 n)}), or on the values a push
   * touches (a factorization's, a penalty per observed rating, as weighted-lambda ALS has it).
   */
  boolean penalisesAllValues();

  /** How the loss is named on the console and in tables. */
  String lossName();

  /**
   * Writes the batch's mean gradient, {@link #columns} values per key in key order, into {@code gradient} and returns
   * the batch's summed loss at {@code weights}, the pulled values of its keys.
   */
  double gradient(Minibatch batch, float[] weights, float[] gradient);

  /** The model the whole of these values ({@code (features + 1) * columns}, as the shards hold them) make. */
  TrainedModel model(float[] weights);
}
