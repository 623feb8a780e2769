package dev.stratus.dsl;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.stratus.kernels.sgd.BinaryMetrics;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.SplittableRandom;
import org.junit.Test;

public class ScoreHistogramTest {
  /** A logistic model's prediction of {@code probability} for a row labelled {@code label}. */
  static Prediction scored(float label, double probability) {
    return new Prediction(label, Math.log(probability / (1 - probability)), probability,
        BinaryMetrics.loss(label > 0.5f, probability));
  }

  @Test
  public void anSvmsPredictionsRankByTheirMarginsAndCountTheirOwnLoss() {
    float[] labels = {1, 0, 1, 0, 1, 0};
    double[] margins = {2.5, -0.3, 0.4, 1.2, -1.1, -4};
    LinearModel svm = new LinearModel(new float[] {0}, LinearLoss.SQUARED_HINGE);
    ScoreHistogram h = new ScoreHistogram();
    for (int i = 0; i < labels.length; i++) {
      double loss = svm.loss().value(margins[i], labels[i]);
      h.add(new Prediction(labels[i], margins[i], Double.NaN, loss));
    }
    BinaryMetrics exact = BinaryMetrics.ofMargins(LinearLoss.SQUARED_HINGE, labels, margins, labels.length);
    assertEquals(exact.auc(), h.metrics().auc(), 1e-12);
    assertEquals(exact.loss(), h.metrics().loss(), 1e-12);
    assertEquals(4 / 6.0, h.metrics().accuracy(), 1e-12); // 1.2 and -1.1 are on the wrong side
  }
  @Test
  public void matchesTheExactMetricsOnSmallSetsWithTies() {
    float[] labels = {1, 0, 1, 0, 1, 0, 0, 1};
    double[] scores = {0.9, 0.1, 0.5, 0.5, 0.3, 0.7, 0.2, 0.8};
    ScoreHistogram h = new ScoreHistogram();
    for (int i = 0; i < labels.length; i++) {
      h.add(scored(labels[i], scores[i]));
    }
    BinaryMetrics exact = BinaryMetrics.of(labels, scores, labels.length);
    BinaryMetrics binned = h.metrics();
    assertEquals(exact.auc(), binned.auc(), 1e-12); // distinct scores land in distinct bins, ties share one
    assertEquals(exact.loss(), binned.loss(), 1e-12);
    assertEquals(exact.accuracy(), binned.accuracy(), 1e-12);
  }

  @Test
  public void mergesAndEncodesExactly() throws Exception {
    SplittableRandom random = new SplittableRandom(3);
    ScoreHistogram whole = new ScoreHistogram();
    ScoreHistogram left = new ScoreHistogram();
    ScoreHistogram right = new ScoreHistogram();
    for (int i = 0; i < 600_000; i++) { // more than one batch of pending predictions
      float label = random.nextBoolean() ? 1 : 0;
      double score = Math.min(1, Math.max(0, 0.5 + (label - 0.5) * 0.2 + random.nextGaussian() * 0.2));
      whole.add(scored(label, score));
      (i % 3 == 0 ? left : right).add(scored(label, score));
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new ScoreHistogram.Coder().encode(right, bytes);
    left.merge(new ScoreHistogram.Coder().decode(new ByteArrayInputStream(bytes.toByteArray())));
    BinaryMetrics expected = whole.metrics();
    BinaryMetrics merged = left.metrics();
    assertEquals(expected.count(), merged.count());
    assertEquals(expected.auc(), merged.auc(), 0);
    assertEquals(expected.accuracy(), merged.accuracy(), 0);
    assertEquals(expected.loss(), merged.loss(), 1e-12); // sums added in another order
    assertEquals(whole.occupiedBins(), left.occupiedBins());
    assertTrue(whole.occupiedBins() <= ScoreHistogram.BINS);
  }

  @Test
  public void oneClassOrNothingHasNoAuc() {
    ScoreHistogram h = new ScoreHistogram();
    assertEquals(0, h.metrics().count());
    h.add(scored(1, 0.4));
    h.add(scored(1, 0.6));
    assertTrue(Double.isNaN(h.metrics().auc()));
    assertEquals(0.5, h.metrics().accuracy(), 0);
  }
}
