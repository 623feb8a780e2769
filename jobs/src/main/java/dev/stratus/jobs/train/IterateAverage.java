package dev.stratus.jobs.train;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.ModelMetrics;
import dev.stratus.kernels.sgd.Objective;
import dev.stratus.kernels.sgd.TrainedModel;

/**
 * The mean of the models the driver read since the training reached its plateau: asynchronous SGD at a steady step
 * size stops improving some way above the optimum, its weights wandering around it with the gradients' noise, and
 * their mean sits closer to it than any one of them (Polyak-Ruppert averaging, over the evaluations' reads).
 *
 * <p>Where the plateau starts is found, not guessed: while the weights still move towards the optimum, the mean of
 * older reads scores worse on the validation set than the latest read, and the mean starts again from that read; on
 * the plateau it scores better, and grows. A new problem (another penalty, a model a restarted shard took back to a
 * snapshot) starts it again too ({@link #clear}).
 */
final class IterateAverage {
  /** A model's weights, and what the validation set says of them. */
  record Scored(float[] weights, TrainedModel model, ModelMetrics metrics) {
    static Scored of(Objective objective, float[] weights, SparseRow[] validation) {
      TrainedModel model = objective.model(weights);
      return new Scored(weights, model, model.evaluate(validation));
    }
  }

  private final Objective objective;
  private final SparseRow[] validation;
  private float[] mean;
  private int count;

  IterateAverage(Objective objective, SparseRow[] validation) {
    this.objective = objective;
    this.validation = validation;
  }

  /**
   * Adds a read of the model, scored; returns what to offer as the model now: the mean of the reads since the plateau
   * started when it scores better than this read, else this read, from which the mean starts again.
   */
  Scored offer(Scored read) {
    float[] weights = read.weights();
    if (mean == null) {
      restart(weights);
      return read;
    }
    count++;
    float share = 1f / count;
    for (int i = 0; i < weights.length; i++) {
      mean[i] += (weights[i] - mean[i]) * share;
    }
    Scored averaged = Scored.of(objective, mean.clone(), validation); // the mean goes on changing
    if (averaged.metrics().loss() < read.metrics().loss()) {
      return averaged;
    }
    restart(weights);
    return read;
  }

  /** Forgets every read: the next one starts the mean. */
  void clear() {
    mean = null;
    count = 0;
  }

  /** The reads in the mean now. */
  int count() {
    return count;
  }

  private void restart(float[] weights) {
    mean = weights.clone();
    count = 1;
  }
}
