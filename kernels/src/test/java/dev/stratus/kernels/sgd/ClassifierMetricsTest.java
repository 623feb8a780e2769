package dev.stratus.kernels.sgd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import org.junit.jupiter.api.Test;

class ClassifierMetricsTest {
  @Test
  void aucCountsOrderedPairsAndSplitsTies() {
    float[] labels = {0, 0, 1, 1};
    assertEquals(1.0, ClassifierMetrics.of(labels, new double[] {0.1, 0.2, 0.8, 0.9}, 4).auc(), 1e-12);
    assertEquals(0.0, ClassifierMetrics.of(labels, new double[] {0.9, 0.8, 0.2, 0.1}, 4).auc(), 1e-12);
    assertEquals(0.5, ClassifierMetrics.of(labels, new double[] {0.5, 0.5, 0.5, 0.5}, 4).auc(), 1e-12);
    // One of the four positive/negative pairs is out of order.
    assertEquals(0.75, ClassifierMetrics.of(labels, new double[] {0.1, 0.7, 0.6, 0.9}, 4).auc(), 1e-12);
  }

  @Test
  void loglossAndAccuracy() {
    ClassifierMetrics m = ClassifierMetrics.of(new float[] {1, 0}, new double[] {0.8, 0.4}, 2);
    assertEquals(-(Math.log(0.8) + Math.log(0.6)) / 2, m.loss(), 1e-12);
    assertEquals(1.0, m.accuracy());
    assertTrue(Double.isFinite(ClassifierMetrics.of(new float[] {1}, new double[] {0}, 1).loss()));
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

  @Test
  void aMultinomialModelRoundTripsWithItsClassesAndScoresEachClass() {
    // two features, three classes: row-major, a row of 3 weights per feature, the 3 biases last
    float[] weights = {1, 0, -1, 0, 2, 0, 0.5f, 0, 0};
    LinearModel model = LinearModel.fromBytes(new LinearModel(weights, LinearLoss.MULTINOMIAL, 3).toBytes(), "test");
    assertEquals(3, model.classes());
    assertEquals(2, model.featureCount());
    SparseRow row = new SparseRow(1, new int[] {0, 1}, new float[] {1, 1});
    double[] margins = new double[3];
    model.margins(row, margins);
    assertArrayEquals(new double[] {1.5, 2, -1}, margins, 1e-6);
    assertEquals(1, model.predictedClass(margins));
    double expected = Math.log(Math.exp(1.5) + Math.exp(2) + Math.exp(-1)) - 2;
    assertEquals(expected, model.meanLoss(new SparseRow[] {row}), 1e-6);
    ClassifierMetrics metrics = model.evaluate(new SparseRow[] {row, new SparseRow(2, new int[] {0}, new float[] {1})});
    assertEquals(0.5, metrics.accuracy(), 1e-12);
    assertEquals(1, metrics.confusion().count(2, 0));
    assertTrue(Double.isNaN(metrics.auc()));
    assertThrows(IllegalStateException.class, () -> model.margin(row));
  }

  @Test
  void aModelWhoseWeightsDoNotFillItsClassesIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new LinearModel(new float[8], LinearLoss.MULTINOMIAL, 3));
    assertThrows(IllegalArgumentException.class, () -> new LinearModel(new float[9], LinearLoss.LOGISTIC, 3));
    byte[] bytes = new LinearModel(new float[9], LinearLoss.MULTINOMIAL, 3).toBytes();
    bytes[12] = 4; // now 4 classes: 9 weights are no whole number of rows
    assertTrue(assertThrows(IllegalArgumentException.class, () -> LinearModel.fromBytes(bytes, "model.bin"))
        .getMessage().startsWith("model.bin is not a valid model"));
  }

  @Test
  void binaryMetricsCountTheirConfusion() {
    ClassifierMetrics m = ClassifierMetrics.of(new float[] {1, 0, 1, 0}, new double[] {0.9, 0.8, 0.2, 0.1}, 4);
    assertEquals(1, m.confusion().count(1, 1));
    assertEquals(1, m.confusion().count(0, 1));
    assertEquals(1, m.confusion().count(1, 0));
    assertEquals(1, m.confusion().count(0, 0));
    assertEquals(m.accuracy(), m.confusion().accuracy(), 1e-12);
  }
}
