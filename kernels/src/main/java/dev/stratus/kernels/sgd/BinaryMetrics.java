package dev.stratus.kernels.sgd;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A binary classifier's loss, AUC and accuracy against 0/1 labels.
 *
 * @param loss the mean of the model's own loss: the log loss for logistic regression (and for probabilities), the hinge
 *     or squared hinge loss for a linear SVM ({@link LinearLoss})
 */
public record BinaryMetrics(long count, double loss, double auc, double accuracy) implements Serializable {
  /** Probabilities are clipped to [1e-15, 1 - 1e-15] so one confident mistake costs a lot, not infinity. */
  private static final double CLIP = 1e-15;

  /** The metrics of margins {@code w.x + b} under {@code loss}: class 1 where the margin is positive. */
  public static BinaryMetrics ofMargins(LinearLoss loss, float[] labels, double[] margins, int count) {
    if (count == 0) {
      return new BinaryMetrics(0, Double.NaN, Double.NaN, Double.NaN);
    }
    double lossSum = 0;
    long correct = 0;
    for (int i = 0; i < count; i++) {
      lossSum += loss.value(margins[i], labels[i]);
      if ((margins[i] >= 0) == (labels[i] > 0.5f)) {
        correct++;
      }
    }
    return new BinaryMetrics(count, lossSum / count, auc(labels, margins, count), (double) correct / count);
  }

  /** The metrics of predicted probabilities P(label = 1): the log loss, class 1 from one half. */
  public static BinaryMetrics of(float[] labels, double[] probabilities, int count) {
    if (count == 0) {
      return new BinaryMetrics(0, Double.NaN, Double.NaN, Double.NaN);
    }
    double loss = 0;
    long correct = 0;
    for (int i = 0; i < count; i++) {
      boolean positive = labels[i] > 0.5f;
      loss += loss(positive, probabilities[i]);
      if ((probabilities[i] >= 0.5) == positive) {
        correct++;
      }
    }
    return new BinaryMetrics(count, loss / count, auc(labels, probabilities, count), (double) correct / count);
  }

  /** The log loss of one prediction: {@code -log p} for a positive, {@code -log(1 - p)} for a negative, p clipped. */
  public static double loss(boolean positive, double probability) {
    double p = Math.min(1 - CLIP, Math.max(CLIP, probability));
    return positive ? -Math.log(p) : -Math.log(1 - p);
  }

  /** Area under the ROC curve by the rank-sum statistic, ties sharing their mean rank. */
  static double auc(float[] labels, double[] scores, int count) {
    Integer[] order = new Integer[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
    double positiveRankSum = 0;
    long positives = 0;
    int i = 0;
    while (i < count) {
      int j = i;
      while (j + 1 < count && scores[order[j + 1]] == scores[order[i]]) {
        j++;
      }
      double meanRank = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        if (labels[order[k]] > 0.5f) {
          positiveRankSum += meanRank;
          positives++;
        }
      }
      i = j + 1;
    }
    long negatives = count - positives;
    if (positives == 0 || negatives == 0) {
      return Double.NaN;
    }
    return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
  }
}
