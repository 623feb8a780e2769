package dev.stratus.dsl;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.stratus.kernels.sgd.ClassifierMetrics;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.Test;

/**
 * Evaluate's metrics over 10,000,000 predictions in a 256 MB heap (surefire execution {@code evaluate-bounded-memory}),
 * where gathering the predictions in one list would not fit, checked against the exact rank statistic.
 */
public class EvaluateBoundedMemoryTest {
  private static final int PREDICTIONS = 10_000_000;
  private static final int BUNDLES = 2;
  private static final long SEED = 20261201;

  @Test
  public void tenMillionPredictionsInA256MbHeapMatchTheExactMetrics() throws Exception {
    assertTrue("this test is about a small heap: run it with -Xmx256m, as its surefire execution does",
        Runtime.getRuntime().maxMemory() <= 300L << 20);
    Evaluate.MetricsFn fn = new Evaluate.MetricsFn();
    List<ScoreHistogram> bundles = new ArrayList<>();
    for (int b = 0; b < BUNDLES; b++) {
      bundles.add(fn.createAccumulator());
    }
    // The exact reference keeps only primitive scores, split by label: 80 MB in all (a first pass counts the labels).
    SplittableRandom counting = new SplittableRandom(SEED);
    int positiveCount = 0;
    for (int i = 0; i < PREDICTIONS; i++) {
      positiveCount += next(counting).label() == 1f ? 1 : 0;
    }
    double[] positives = new double[positiveCount];
    double[] negatives = new double[PREDICTIONS - positiveCount];
    int p = 0;
    int n = 0;
    double lossSum = 0;
    long correct = 0;
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < PREDICTIONS; i++) {
      Prediction prediction = next(random);
      float label = prediction.label();
      double probability = prediction.probability();
      fn.addInput(bundles.get(i % BUNDLES), prediction);
      if (label == 1f) {
        positives[p++] = probability;
      } else {
        negatives[n++] = probability;
      }
      lossSum += ClassifierMetrics.loss(label == 1f, probability);
      correct += (probability >= 0.5) == (label == 1f) ? 1 : 0;
    }
    List<ScoreHistogram> shipped = new ArrayList<>();
    ScoreHistogram.Coder coder = new ScoreHistogram.Coder();
    while (!bundles.isEmpty()) { // as a runner moves accumulators between workers
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      coder.encode(bundles.remove(0), bytes);
      shipped.add(coder.decode(new ByteArrayInputStream(bytes.toByteArray())));
    }
    ScoreHistogram merged = fn.mergeAccumulators(shipped);
    ClassifierMetrics metrics = fn.extractOutput(merged);

    double exactAuc = exactAuc(positives, negatives);
    assertEquals(PREDICTIONS, metrics.count());
    assertEquals(exactAuc, metrics.auc(), 1e-3);
    assertTrue("the error stays within the histogram's own bound",
        Math.abs(metrics.auc() - exactAuc) <= merged.aucErrorBound() + 1e-12);
    assertTrue("a model's scores share bins rarely: bound " + merged.aucErrorBound(), merged.aucErrorBound() < 1e-4);
    assertEquals(lossSum / PREDICTIONS, metrics.loss(), 1e-9);
    assertEquals((double) correct / PREDICTIONS, metrics.accuracy(), 1e-12);
  }

  /** Labels drawn from a planted logistic model; the scores are an imperfect model's (noise on the margin). */
  private static Prediction next(SplittableRandom random) {
    double margin = random.nextGaussian() * 1.5;
    float label = random.nextDouble() < sigmoid(margin) ? 1f : 0f;
    return ScoreHistogramTest.scored(label, sigmoid(margin + random.nextGaussian() * 0.7));
  }

  private static double sigmoid(double z) {
    return 1 / (1 + Math.exp(-z));
  }

  /** The Mann-Whitney statistic, ties counting one half. */
  private static double exactAuc(double[] positives, double[] negatives) {
    Arrays.sort(positives);
    Arrays.sort(negatives);
    double pairs = 0;
    int below = 0;
    int equalEnd = 0;
    for (double score : positives) {
      while (below < negatives.length && negatives[below] < score) {
        below++;
      }
      equalEnd = Math.max(equalEnd, below);
      while (equalEnd < negatives.length && negatives[equalEnd] == score) {
        equalEnd++;
      }
      pairs += below + 0.5 * (equalEnd - below);
    }
    return pairs / ((double) positives.length * negatives.length);
  }
}
