package dev.stratus.kernels.sgd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import org.junit.jupiter.api.Test;

class BinaryMetricsTest {
  @Test
  void aucCountsOrderedPairsAndSplitsTies() {
    float[] labels = {0, 0, 1, 1};
    assertEquals(1.0, BinaryMetrics.of(labels, new double[] {0.1, 0.2, 0.8, 0.9}, 4).auc(), 1e-12);
    assertEquals(0.0, BinaryMetrics.of(labels, new double[] {0.9, 0.8, 0.2, 0.1}, 4).auc(), 1e-12);
    assertEquals(0.5, BinaryMetrics.of(labels, new double[] {0.5, 0.5, 0.5, 0.5}, 4).auc(), 1e-12);
    // One of the four positive/negative pairs is out of order.
    assertEquals(0.75, BinaryMetrics.of(labels, new double[] {0.1, 0.7, 0.6, 0.9}, 4).auc(), 1e-12);
  }

  @Test
  void loglossAndAccuracy() {
    BinaryMetrics m = BinaryMetrics.of(new float[] {1, 0}, new double[] {0.8, 0.4}, 2);
    assertEquals(-(Math.log(0.8) + Math.log(0.6)) / 2, m.loss(), 1e-12);
    assertEquals(1.0, m.accuracy());
    assertTrue(Double.isFinite(BinaryMetrics.of(new float[] {1}, new double[] {0}, 1).loss()));
  }

  @Test
  void modelRoundTripsAndScores() {
    LinearModel model = new LinearModel(new float[] {2f, -1f, 0.5f}, LinearLoss.LOGISTIC);
    LinearModel back = LinearModel.fromBytes(model.toBytes(), "test");
    SparseRow row = new SparseRow(1, new int[] {0, 1, 7}, new float[] {1f, 3f, 100f});
    // 2*1 - 1*3 + bias 0.5; index 7 is outside the model and scores nothing.
    assertEquals(-0.5, back.margin(row), 1e-6);
    assertEquals(2, back.featureCount());
  }
}
