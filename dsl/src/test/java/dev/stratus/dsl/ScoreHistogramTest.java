package dev.stratus.dsl;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.stratus.kernels.sgd.BinaryMetrics;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.SplittableRandom;
import org.junit.Test;

public class ScoreHistogramTest {
  @Test
  public void matchesTheExactMetricsOnSmallSetsWithTies() {
    float[] labels = {1, 0, 1, 0, 1, 0, 0, 1};
    double[] scores = {0.9, 0.1, 0.5, 0.5, 0.3, 0.7, 0.2, 0.8};
    ScoreHistogram h = new ScoreHistogram();
    for (int i = 0; i < labels.length; i++) {
      h.add(labels[i], scores[i]);
    }
    BinaryMetrics exact = BinaryMetrics.of(labels, scores, labels.length);
    BinaryMetrics binned = h.metrics();
    assertEquals(exact.auc(), binned.auc(), 1e-12); // distinct scores land in distinct bins, ties share one
    assertEquals(exact.logloss(), binned.logloss(), 1e-12);
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
      whole.add(label, score);
      (i % 3 == 0 ? left : right).add(label, score);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new ScoreHistogram.Coder().encode(right, bytes);
    left.merge(new ScoreHistogram.Coder().decode(new ByteArrayInputStream(bytes.toByteArray())));
    BinaryMetrics expected = whole.metrics();
    BinaryMetrics merged = left.metrics();
    assertEquals(expected.count(), merged.count());
    assertEquals(expected.auc(), merged.auc(), 0);
    assertEquals(expected.accuracy(), merged.accuracy(), 0);
    assertEquals(expected.logloss(), merged.logloss(), 1e-12); // sums added in another order
    assertEquals(whole.occupiedBins(), left.occupiedBins());
    assertTrue(whole.occupiedBins() <= ScoreHistogram.BINS);
  }

  @Test
  public void oneClassOrNothingHasNoAuc() {
    ScoreHistogram h = new ScoreHistogram();
    assertEquals(0, h.metrics().count());
    h.add(1, 0.4);
    h.add(1, 0.6);
    assertTrue(Double.isNaN(h.metrics().auc()));
    assertEquals(0.5, h.metrics().accuracy(), 0);
  }
}
