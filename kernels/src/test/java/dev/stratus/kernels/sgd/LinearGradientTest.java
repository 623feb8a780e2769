package dev.stratus.kernels.sgd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class LinearGradientTest {
  private static final int FEATURES = 50;

  private static SparseRow[] randomRows(Random random, int count) {
    return randomRows(random, count, 2);
  }

  /** Rows of labels 0 to {@code classes - 1}. */
  private static SparseRow[] randomRows(Random random, int count, int classes) {
    SparseRow[] rows = new SparseRow[count];
    for (int r = 0; r < count; r++) {
      int[] idx = random.ints(0, FEATURES).distinct().limit(1 + random.nextInt(8)).sorted().toArray();
      float[] val = new float[idx.length];
      for (int j = 0; j < val.length; j++) {
        val[j] = (float) random.nextGaussian();
      }
      rows[r] = new SparseRow(random.nextInt(classes), idx, val);
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

  /** Each loss's objective, and the hinge smoothed as a quasi-Newton solver descends it. */
  static Stream<LinearObjective> objectives() {
    return Stream.concat(
        Arrays.stream(LinearLoss.values()).map(loss -> new LinearObjective(loss, loss.multiclass() ? 4 : 2)),
        Stream.of(LinearObjective.of(LinearLoss.HINGE).smooth()));
  }

  @ParameterizedTest
  @MethodSource("objectives")
  void gradientMatchesFiniteDifferencesOfTheLoss(LinearObjective objective) {
    for (int batchSize : new int[] {1, 16}) {
      gradientMatchesFiniteDifferences(objective, batchSize);
    }
  }

  /** Each value's derivative, a binary model's one per key or a 4-class model's four, against the loss's slope. */
  private static void gradientMatchesFiniteDifferences(LinearObjective objective, int batchSize) {
    Random random = new Random(42);
    SparseRow[] rows = randomRows(random, batchSize, objective.classes());
    Minibatch batch = new Minibatch().fill(rows, 0, rows.length, FEATURES);
    float[] weights = new float[batch.keyCount() * objective.columns()];
    for (int k = 0; k < weights.length; k++) {
      weights[k] = (float) (random.nextGaussian() * 0.5);
    }
    float[] gradient = new float[weights.length];
    objective.gradient(batch, weights, gradient);
    float h = 1e-3f;
    for (int k = 0; k < weights.length; k++) {
      float saved = weights[k];
      weights[k] = saved + h;
      double up = objective.gradient(batch, weights, new float[weights.length]);
      weights[k] = saved - h;
      double down = objective.gradient(batch, weights, new float[weights.length]);
      weights[k] = saved;
      double numeric = (up - down) / (2 * h) / rows.length;
      assertEquals(numeric, gradient[k], 2e-3, objective + ", " + batchSize + " rows, key slot " + k);
    }
  }

  /** The smoothed hinge lies within half its width below the hinge, and is the hinge away from the kink. */
  @Test
  void theSmoothedHingeIsWithinHalfItsWidthOfTheHinge() {
    double width = 0.1;
    for (double margin = -3; margin <= 3; margin += 0.01) {
      for (float label : new float[] {0, 1}) {
        double hinge = LinearLoss.HINGE.value(margin, label);
        double smoothed = LinearLoss.smoothedHinge(margin, label, width);
        assertTrue(smoothed <= hinge && smoothed >= hinge - width / 2, margin + ", " + label);
        double gap = 1 - (label > 0 ? margin : -margin);
        if (gap <= 0 || gap >= width) {
          assertEquals(LinearLoss.HINGE.slope(margin, label), LinearLoss.smoothedHingeSlope(margin, label, width),
              margin + ", " + label);
        }
      }
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
    assertEquals(0, LinearLoss.MULTINOMIAL.value(new double[] {900, -900, 0}, 3, 0), 1e-12);
    assertEquals(1800, LinearLoss.MULTINOMIAL.value(new double[] {900, -900, 0}, 3, 1), 1e-9);
    assertEquals(Math.log(3), LinearLoss.MULTINOMIAL.value(new double[] {5, 5, 5}, 3, 2), 1e-12);
  }

  @Test
  void aLabelThatIsNoClassOfTheModelIsRefusedNamingIt() {
    SparseRow[] rows = {new SparseRow(3, new int[] {1}, new float[] {1})};
    Minibatch batch = new Minibatch().fill(rows, 0, 1, FEATURES);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new LinearObjective(LinearLoss.MULTINOMIAL, 3).gradient(batch, new float[6], new float[6]));
    assertTrue(e.getMessage().contains("label 3.0 is not one of the model's 3 classes (0 to 2)"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> LinearLoss.classOf(1.5f, 3));
    assertThrows(IllegalArgumentException.class, () -> LinearLoss.classOf(-1, 3));
  }
}
