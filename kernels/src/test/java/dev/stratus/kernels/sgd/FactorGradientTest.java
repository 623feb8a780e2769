package dev.stratus.kernels.sgd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.Ratings;
import dev.stratus.kernels.data.SparseRow;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FactorGradientTest {
  private static final int USERS = 6;
  private static final int ITEMS = 5;
  private static final int RANK = 3;

  @Test
  void gradientMatchesFiniteDifferencesOfTheSquaredError() {
    Random random = new Random(9);
    SparseRow[] rows = new SparseRow[12];
    for (int r = 0; r < rows.length; r++) {
      rows[r] = Ratings.row(random.nextInt(USERS), random.nextInt(ITEMS), 1 + 4 * random.nextFloat(), USERS);
    }
    Minibatch batch = new Minibatch().fill(rows, 0, rows.length, USERS + ITEMS);
    float[] weights = new float[batch.keyCount() * (RANK + 1)];
    for (int k = 0; k < weights.length; k++) {
      weights[k] = (float) random.nextGaussian() * 0.5f;
    }
    float[] gradient = new float[weights.length];
    FactorGradient.compute(RANK, 3f, batch, weights, gradient);
    float h = 1e-3f;
    for (int k = 0; k < weights.length; k++) {
      float saved = weights[k];
      weights[k] = saved + h;
      double up = FactorGradient.compute(RANK, 3f, batch, weights, new float[weights.length]);
      weights[k] = saved - h;
      double down = FactorGradient.compute(RANK, 3f, batch, weights, new float[weights.length]);
      weights[k] = saved;
      assertEquals((up - down) / (2 * h) / rows.length, gradient[k], 5e-3, "value " + k);
    }
  }

  @Test
  void theModelPredictsWhatTheGradientDescendsAndRoundTrips() {
    // users 0..1, items 0..1 (features 2..3), rank 1: rows [factor, bias], the last row's bias the offset
    float[] weights = {2, 0.5f, -1, 0, 3, 0.25f, 1, -0.5f, 0, 0.1f};
    FactorModel model = (FactorModel) TrainedModel.fromBytes(new FactorModel(weights, 1, 3.5f).toBytes(), "test");
    SparseRow rating = Ratings.row(0, 1, 4f, 2);
    // 3.5 + 0.1 + user 0's bias 0.5 + item 1's bias -0.5 + 2 * 1
    assertEquals(5.6, model.predict(rating), 1e-6);
    RegressionMetrics metrics = model.evaluate(new SparseRow[] {rating, Ratings.row(1, 0, 6.85f, 2)});
    // the second: 3.5 + 0.1 + 0 + 0.25 + (-1 * 3) = 0.85, off by 6
    assertEquals(Math.sqrt((1.6 * 1.6 + 36) / 2), metrics.rmse(), 1e-5);
    assertEquals((1.6 + 6) / 2, metrics.mae(), 1e-5);
    assertEquals(metrics.loss(), model.meanLoss(new SparseRow[] {rating, Ratings.row(1, 0, 6.85f, 2)}), 1e-9);
    // an item the model never saw (feature 9 of a larger catalogue) adds nothing: user 1's bias (0) and the offset
    assertEquals(3.5 + 0.1, model.predict(new SparseRow(0, new int[] {1, 9}, new float[] {1, 1})), 1e-6);
  }

  @Test
  void aRowThatIsNoRatingIsRefused() {
    SparseRow notARating = new SparseRow(3, new int[] {0, 1, 2}, new float[] {1, 1, 1});
    Minibatch batch = new Minibatch().fill(new SparseRow[] {notARating}, 0, 1, 4);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FactorGradient.compute(1, 0, batch, new float[8], new float[8]));
    assertTrue(e.getMessage().contains("a rating row has a user and an item"), e.getMessage());
  }
}
