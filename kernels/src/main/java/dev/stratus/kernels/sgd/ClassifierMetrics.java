package dev.stratus.kernels.sgd;

import java.util.Arrays;

/**
 * A classifier's loss, AUC, accuracy and confusion matrix against its rows' labels (0/1 for a binary classifier, 0 to
 * K - 1 for K classes).
 *
 * @param loss the mean of the model's own loss: the log loss for logistic regression (and for probabilities), the hinge
 *     or squared hinge loss for a linear SVM, the multinomial log loss for K classes ({@link LinearLoss})
 * @param auc the area under the ROC curve of a binary classifier's scores; NaN for K classes, or a single class
 * @param confusion how many rows of each class went to each class
 */
public record ClassifierMetrics(long count, double loss, double auc, double accuracy, ConfusionMatrix confusion)
    implements ModelMetrics {
  /** Probabilities are clipped to [1e-15, 1 - 1e-15] so one confident mistake costs a lot, not infinity. */
  private static final double CLIP = 1e-15;

  /** The metrics of margins {@code w.x + b} under {@code loss}: class 1 where the margin is positive. */
  public static ClassifierMetrics ofMargins(LinearLoss loss, float[] labels, double[] margins, int count) {
    double lossSum = 0;
    ConfusionMatrix confusion = new ConfusionMatrix(2);
    for (int i = 0; i < count; i++) {
      lossSum += loss.value(margins[i], labels[i]);
      confusion.add(labels[i] > 0.5f ? 1 : 0, margins[i] >= 0 ? 1 : 0);
    }
    return binary(count, lossSum, labels, margins, confusion);
  }

  /** The metrics of predicted probabilities P(label = 1): the log loss, class 1 from one half. */
  public static ClassifierMetrics of(float[] labels, double[] probabilities, int count) {
    double lossSum = 0;
    ConfusionMatrix confusion = new ConfusionMatrix(2);
    for (int i = 0; i < count; i++) {
      boolean positive = labels[i] > 0.5f;
      lossSum += loss(positive, probabilities[i]);
      confusion.add(positive ? 1 : 0, probabilities[i] >= 0.5 ? 1 : 0);
    }
    return binary(count, lossSum, labels, probabilities, confusion);
  }

  private static ClassifierMetrics binary(
      int count, double lossSum, float[] labels, double[] scores, ConfusionMatrix confusion) {
    return count == 0
        ? new ClassifierMetrics(0, Double.NaN, Double.NaN, Double.NaN, confusion)
        : new ClassifierMetrics(count, lossSum / count, auc(labels, scores, count), confusion.accuracy(), confusion);
  }

  /** The metrics of K classes' predictions, tallied in {@code confusion}, whose losses sum to {@code lossSum}. */
  public static ClassifierMetrics ofClasses(double lossSum, ConfusionMatrix confusion) {
    long count = confusion.total();
    return new ClassifierMetrics(count, count == 0 ? Double.NaN : lossSum / count, Double.NaN, confusion.accuracy(),
        confusion);
  }

  /** The AUC of a binary classifier, the accuracy of K classes. */
  @Override
  public String headline() {
    return Double.isNaN(auc) ? String.format("accuracy %.4f", accuracy) : String.format("AUC %.4f", auc);
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
