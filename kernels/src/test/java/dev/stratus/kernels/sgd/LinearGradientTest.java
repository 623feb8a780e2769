package dev.stratus.kernels.sgd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.kernels.data.SparseRow;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LinearGradientTest {
  private static final int FEATURES = 50;

  private static SparseRow[] randomRows(Random random, int count) {
    SparseRow[] rows = new SparseRow[count];
    for (int r = 0; r < count; r++) {
      int[] idx = random.ints(0, FEATURES).distinct().limit(1 + random.nextInt(8)).sorted().toArray();
      float[] val = new float[idx.length];
      for (int j = 0; j < val.length; j++) {
        val[j] = (float) random.nextGaussian();
      }
      rows[r] = new SparseRow(random.nextBoolean() ? 1 : 0, idx, val);
    }
    return rows;
  }

  @Test
  void minibatchListsDistinctKeysWithBiasLast() {
    SparseRow[] rows = {
      new SparseRow(1, new int[] {3, 9}, new float[] {1, 2}),
      new SparseRow(0, new int[] {1, 9, 20}, new float[] {4, 5, 6})
    };
    Minibatch batch = new Minibatch().fill(rows, 0, 2, FEATURES);
    assertArrayEquals(new int[] {1, 3, 9, 20, FEATURES}, batch.keys());
    // Entries point at their key's position.
    assertEquals(1, batch.slot(0));
    assertEquals(2, batch.slot(1));
    assertEquals(0, batch.slot(2));
    assertEquals(2, batch.slot(3));
    assertEquals(3, batch.slot(4));
  }

  @ParameterizedTest
  @EnumSource(LinearLoss.class)
  void gradientMatchesFiniteDifferencesOfTheLoss(LinearLoss loss) {
    for (int batchSize : new int[] {1, 16}) {
      gradientMatchesFiniteDifferences(loss, batchSize);
    }
  }

  private static void gradientMatchesFiniteDifferences(LinearLoss loss, int batchSize) {
    Random random = new Random(42);
    SparseRow[] rows = randomRows(random, batchSize);
    Minibatch batch = new Minibatch().fill(rows, 0, rows.length, FEATURES);
    float[] weights = new float[batch.keyCount()];
    for (int k = 0; k < weights.length; k++) {
      weights[k] = (float) (random.nextGaussian() * 0.5);
    }
    float[] gradient = new float[batch.keyCount()];
    LinearGradient.compute(loss, batch, weights, gradient);
    float h = 1e-3f;
    for (int k = 0; k < weights.length; k++) {
      float saved = weights[k];
      weights[k] = saved + h;
      double up = LinearGradient.compute(loss, batch, weights, new float[weights.length]);
      weights[k] = saved - h;
      double down = LinearGradient.compute(loss, batch, weights, new float[weights.length]);
      weights[k] = saved;
      double numeric = (up - down) / (2 * h) / rows.length;
      assertEquals(numeric, gradient[k], 2e-3, loss + ", " + batchSize + " rows, key slot " + k);
    }
  }

  @Test
  void aSingleRowsKeysAreItsIndicesThenTheBias() {
    SparseRow row = new SparseRow(1, new int[] {2, 5, 40}, new float[] {1, 2, 3});
    Minibatch batch = new Minibatch().fill(new SparseRow[] {row}, 0, 1, FEATURES);
    assertArrayEquals(new int[] {2, 5, 40, FEATURES}, batch.keys());
    assertEquals(2, batch.slot(2));
  }

  @Test
  void reusedMinibatchGivesTheSameLayoutAsAFreshOne() {
    Random random = new Random(1);
    SparseRow[] rows = randomRows(random, 40);
    Minibatch reused = new Minibatch().fill(rows, 0, 40, FEATURES);
    reused.fill(rows, 10, 15, FEATURES);
    Minibatch fresh = new Minibatch().fill(rows, 10, 15, FEATURES);
    assertArrayEquals(fresh.keys(), reused.keys());
    float[] w = new float[fresh.keyCount()];
    java.util.Arrays.fill(w, 0.1f);
    float[] g1 = new float[w.length];
    float[] g2 = new float[w.length];
    assertEquals(LinearGradient.compute(LinearLoss.LOGISTIC, fresh, w, g1),
        LinearGradient.compute(LinearLoss.LOGISTIC, reused, w, g2), 1e-9);
    assertArrayEquals(g1, g2);
  }

  @Test
  void theHingeLossesAreZeroBeyondTheMarginAndGrowInsideIt() {
    assertEquals(0, LinearLoss.HINGE.value(1.5, 1));
    assertEquals(0, LinearLoss.HINGE.slope(1.5, 1));
    assertEquals(1.5, LinearLoss.HINGE.value(0.5, 0), 1e-12); // class 0 wants a margin of -1 or less
    assertEquals(1, LinearLoss.HINGE.slope(0.5, 0));
    assertEquals(0.25, LinearLoss.SQUARED_HINGE.value(0.5, 1), 1e-12);
    assertEquals(-1, LinearLoss.SQUARED_HINGE.slope(0.5, 1), 1e-12);
    assertEquals(0, LinearLoss.SQUARED_HINGE.slope(-2, 0));
  }

  @Test
  void lossIsStableForHugeMargins() {
    assertEquals(0, LinearLoss.LOGISTIC.value(800, 1), 1e-12);
    assertEquals(800, LinearLoss.LOGISTIC.value(800, 0), 1e-9);
    assertEquals(Math.log(2), LinearLoss.LOGISTIC.value(0, 1), 1e-12);
  }
}
