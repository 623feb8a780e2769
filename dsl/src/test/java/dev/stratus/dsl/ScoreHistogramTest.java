package dev.stratus.dsl;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.ClassifierMetrics;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.SplittableRandom;
import org.junit.Test;

public class ScoreHistogramTest {
  /** A logistic model's prediction of {@code probability} for a row labelled {@code label}. */
  static Prediction scored(float label, double probability) {
    return new Prediction(label, probability >= 0.5 ? 1 : 0, 2, Math.log(probability / (1 - probability)),
        probability, ClassifierMetrics.loss(label > 0.5f, probability));
  }

  @Test
  public void anSvmsPredictionsRankByTheirMarginsAndCountTheirOwnLoss() {
    float[] labels = {1, 0, 1, 0, 1, 0};
    double[] margins = {2.5, -0.3, 0.4, 1.2, -1.1, -4};
    LinearModel svm = new LinearModel(new float[] {0}, LinearLoss.SQUARED_HINGE);
    ScoreHistogram h = new ScoreHistogram();
    for (int i = 0; i < labels.length; i++) {
      double loss = svm.loss().value(margins[i], labels[i]);
      h.add(new Prediction(labels[i], margins[i] >= 0 ? 1 : 0, 2, margins[i], Double.NaN, loss));
    }
    ClassifierMetrics exact = ClassifierMetrics.ofMargins(LinearLoss.SQUARED_HINGE, labels, margins, labels.length);
    assertEquals(exact.auc(), h.metrics().auc(), 1e-12);
    assertEquals(exact.loss(), h.metrics().loss(), 1e-12);
    assertEquals(4 / 6.0, h.metrics().accuracy(), 1e-12); // 1.2 and -1.1 are on the wrong side
    assertEquals(exact.confusion(), h.metrics().confusion());
    assertEquals(1, h.metrics().confusion().count(0, 1)); // the negative at 1.2
  }

  @Test
  public void classesOfAMultinomialModelAreTalliedInAConfusionMatrixThatMergesAndEncodes() throws Exception {
    // three classes, two features: feature 0 votes for class 1, feature 1 for class 2, the biases favour class 0
    LinearModel model = new LinearModel(new float[] {0, 3, 0, 0, 0, 3, 1, 0, 0}, LinearLoss.MULTINOMIAL, 3);
    SparseRow[] rows = {
      new SparseRow(0, new int[0], new float[0]),
      new SparseRow(1, new int[] {0}, new float[] {1}),
      new SparseRow(2, new int[] {1}, new float[] {1}),
      new SparseRow(2, new int[] {0}, new float[] {1}), // put in class 1
      new SparseRow(1, new int[0], new float[0]), // put in class 0
    };
    ScoreHistogram left = new ScoreHistogram();
    ScoreHistogram right = new ScoreHistogram();
    for (int i = 0; i < rows.length; i++) {
      Prediction p = Prediction.of(model, rows[i]);
      assertEquals(3, p.classes());
      (i < 2 ? left : right).add(p);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new ScoreHistogram.Coder().encode(right, bytes);
    left.merge(new ScoreHistogram.Coder().decode(new ByteArrayInputStream(bytes.toByteArray())));
    ClassifierMetrics metrics = left.metrics();
    ClassifierMetrics exact = model.evaluate(rows);
    assertEquals(exact.confusion(), metrics.confusion());
    assertEquals(3 / 5.0, metrics.accuracy(), 1e-12);
    assertEquals(1, metrics.confusion().count(2, 1));
    assertEquals(1, metrics.confusion().count(1, 0));
    assertEquals(exact.loss(), metrics.loss(), 1e-12);
    assertTrue(Double.isNaN(metrics.auc()));
  }
  @Test
  public void matchesTheExactMetricsOnSmallSetsWithTies() {
    float[] labels = {1, 0, 1, 0, 1, 0, 0, 1};
    double[] scores = {0.9, 0.1, 0.5, 0.5, 0.3, 0.7, 0.2, 0.8};
    ScoreHistogram h = new ScoreHistogram();
    for (int i = 0; i < labels.length; i++) {
      h.add(scored(labels[i], scores[i]));
    }
    ClassifierMetrics exact = ClassifierMetrics.of(labels, scores, labels.length);
    ClassifierMetrics binned = h.metrics();
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
    ClassifierMetrics expected = whole.metrics();
    ClassifierMetrics merged = left.metrics();
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
