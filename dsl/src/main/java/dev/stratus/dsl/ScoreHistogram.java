package dev.stratus.dsl;

import dev.stratus.kernels.sgd.ClassifierMetrics;
import dev.stratus.kernels.sgd.ConfusionMatrix;
import dev.stratus.kernels.sgd.LinearLoss;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.util.VarInt;

/**
 * What {@link Evaluate} keeps of a set of predictions: the loss and the confusion matrix, and for a binary model how
 * many positive and negative labels fall in each of {@value #BINS} equal bins of the predicted probability. Its size is bounded by the
 * number of bins whatever the number of predictions (at most about 20 MB, much less for a small or peaked score
 * distribution), and histograms merge exactly, so AUC is computed without holding the predictions in one place.
 *
 * <p>AUC from the histogram counts a positive and a negative in the same bin as a tie (half a pair): the result differs
 * from the exact rank statistic by at most half the share of positive-negative pairs that share a bin, which
 * {@link #aucErrorBound()} reports (for a model's scores, about the bin width, 1e-6).
 */
final class ScoreHistogram {
  static final int BINS = 1 << 20;
  /** Predictions gathered unsorted before they are folded into the sorted bins: 1 MB. */
  private static final int PENDING = 1 << 18;

  private long count;
  private double lossSum;
  /** Sized by the first prediction's model; null before it. */
  private ConfusionMatrix confusion;
  /** Occupied bins in increasing order and their counts: {@code size} entries of each array are used. */
  private int[] bins = new int[0];
  private long[] positives = new long[0];
  private long[] negatives = new long[0];
  private int size;
  /** Each pending prediction as {@code bin << 1 | label}. */
  private int[] pending;
  private int pendingCount;

  void add(Prediction prediction) {
    count++;
    lossSum += prediction.loss();
    if (confusion == null) {
      confusion = new ConfusionMatrix(prediction.classes());
    }
    if (prediction.classes() > 2) {
      confusion.add(LinearLoss.classOf(prediction.label(), prediction.classes()), prediction.predicted());
      return; // no AUC for K classes
    }
    boolean positive = prediction.label() > 0.5f;
    confusion.add(positive ? 1 : 0, prediction.predicted());
    if (pending == null) {
      pending = new int[Math.min(PENDING, 1024)];
    } else if (pendingCount == pending.length) {
      if (pending.length < PENDING) {
        pending = Arrays.copyOf(pending, pending.length * 2);
      } else {
        foldPending();
      }
    }
    pending[pendingCount++] = bin(rank(prediction)) << 1 | (positive ? 1 : 0);
  }

  /**
   * Where a prediction ranks, in [0, 1]: its probability, or the sigmoid of its margin for a model without one (an
   * SVM's), which orders rows as the margin does.
   */
  private static double rank(Prediction prediction) {
    return Double.isNaN(prediction.probability()) ? LinearLoss.sigmoid(prediction.margin()) : prediction.probability();
  }

  static int bin(double probability) {
    if (!(probability >= 0)) { // NaN too: a broken score ranks lowest rather than failing the evaluation
      return 0;
    }
    return (int) Math.min(BINS - 1, probability * BINS);
  }

  /** Adds {@code other}'s predictions to this histogram. */
  void merge(ScoreHistogram other) {
    other.foldPending();
    count += other.count;
    lossSum += other.lossSum;
    if (other.confusion != null) {
      if (confusion == null) {
        confusion = new ConfusionMatrix(other.confusion.classes());
      }
      confusion.merge(other.confusion);
    }
    foldPending();
    mergeSorted(other.bins, other.positives, other.negatives, other.size);
  }

  ClassifierMetrics metrics() {
    foldPending();
    if (count == 0) {
      return new ClassifierMetrics(0, Double.NaN, Double.NaN, Double.NaN, new ConfusionMatrix(2));
    }
    if (confusion.classes() > 2) {
      return ClassifierMetrics.ofClasses(lossSum, confusion);
    }
    return new ClassifierMetrics(count, lossSum / count, auc(), confusion.accuracy(), confusion);
  }

  /** P(score of a random positive > score of a random negative), a shared bin counting one half. */
  private double auc() {
    double pairs = 0;
    long negativesBelow = 0;
    long allPositives = 0;
    for (int i = 0; i < size; i++) {
      pairs += positives[i] * (negativesBelow + 0.5 * negatives[i]);
      negativesBelow += negatives[i];
      allPositives += positives[i];
    }
    if (allPositives == 0 || negativesBelow == 0) {
      return Double.NaN;
    }
    return pairs / ((double) allPositives * negativesBelow);
  }

  /** The largest possible difference between {@link #metrics()}' AUC and the exact rank statistic. */
  double aucErrorBound() {
    foldPending();
    double shared = 0;
    long allPositives = 0;
    long allNegatives = 0;
    for (int i = 0; i < size; i++) {
      shared += (double) positives[i] * negatives[i];
      allPositives += positives[i];
      allNegatives += negatives[i];
    }
    return allPositives == 0 || allNegatives == 0 ? 0 : 0.5 * shared / ((double) allPositives * allNegatives);
  }

  int occupiedBins() {
    foldPending();
    return size;
  }

  /** Sorts the pending predictions into runs of equal bins and merges those into the sorted arrays. */
  private void foldPending() {
    if (pendingCount == 0) {
      return;
    }
    Arrays.sort(pending, 0, pendingCount);
    int[] runBins = new int[pendingCount];
    long[] runPositives = new long[pendingCount];
    long[] runNegatives = new long[pendingCount];
    int runs = -1;
    int previousBin = -1;
    for (int i = 0; i < pendingCount; i++) {
      int bin = pending[i] >>> 1;
      if (bin != previousBin) {
        runs++;
        runBins[runs] = bin;
        previousBin = bin;
      }
      if ((pending[i] & 1) == 1) {
        runPositives[runs]++;
      } else {
        runNegatives[runs]++;
      }
    }
    pendingCount = 0;
    mergeSorted(runBins, runPositives, runNegatives, runs + 1);
  }

  private void mergeSorted(int[] otherBins, long[] otherPositives, long[] otherNegatives, int otherSize) {
    int[] mergedBins = new int[size + otherSize];
    long[] mergedPositives = new long[size + otherSize];
    long[] mergedNegatives = new long[size + otherSize];
    int i = 0;
    int j = 0;
    int n = 0;
    while (i < size || j < otherSize) {
      int bin = j == otherSize || (i < size && bins[i] < otherBins[j]) ? bins[i] : otherBins[j];
      mergedBins[n] = bin;
      if (i < size && bins[i] == bin) {
        mergedPositives[n] += positives[i];
        mergedNegatives[n] += negatives[i];
        i++;
      }
      if (j < otherSize && otherBins[j] == bin) {
        mergedPositives[n] += otherPositives[j];
        mergedNegatives[n] += otherNegatives[j];
        j++;
      }
      n++;
    }
    bins = mergedBins;
    positives = mergedPositives;
    negatives = mergedNegatives;
    size = n;
  }

  /** Writes the occupied bins only, each as the distance from the previous one and two counts, all as varints. */
  static final class Coder extends CustomCoder<ScoreHistogram> {
    @Override
    public void encode(ScoreHistogram h, OutputStream out) throws IOException {
      h.foldPending();
      VarInt.encode(h.count, out);
      new DataOutputStream(out).writeDouble(h.lossSum);
      int classes = h.confusion == null ? 0 : h.confusion.classes();
      VarInt.encode(classes, out);
      for (int actual = 0; actual < classes; actual++) {
        for (int predicted = 0; predicted < classes; predicted++) {
          VarInt.encode(h.confusion.count(actual, predicted), out);
        }
      }
      VarInt.encode(h.size, out);
      int previous = 0;
      for (int i = 0; i < h.size; i++) {
        VarInt.encode(h.bins[i] - previous, out);
        VarInt.encode(h.positives[i], out);
        VarInt.encode(h.negatives[i], out);
        previous = h.bins[i];
      }
    }

    @Override
    public ScoreHistogram decode(InputStream in) throws IOException {
      ScoreHistogram h = new ScoreHistogram();
      h.count = VarInt.decodeLong(in);
      h.lossSum = new DataInputStream(in).readDouble();
      int classes = VarInt.decodeInt(in);
      if (classes != 0) {
        h.confusion = new ConfusionMatrix(classes);
        for (int actual = 0; actual < classes; actual++) {
          for (int predicted = 0; predicted < classes; predicted++) {
            h.confusion.add(actual, predicted, VarInt.decodeLong(in));
          }
        }
      }
      int size = VarInt.decodeInt(in);
      if (size < 0 || size > BINS) {
        throw new IOException("score histogram: " + size + " bins, more than the " + BINS + " there are");
      }
      h.bins = new int[size];
      h.positives = new long[size];
      h.negatives = new long[size];
      int bin = 0;
      for (int i = 0; i < size; i++) {
        bin += VarInt.decodeInt(in);
        h.bins[i] = bin;
        h.positives[i] = VarInt.decodeLong(in);
        h.negatives[i] = VarInt.decodeLong(in);
      }
      h.size = size;
      return h;
    }
  }
}
