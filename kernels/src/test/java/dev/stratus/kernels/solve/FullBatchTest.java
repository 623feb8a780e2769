package dev.stratus.kernels.solve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearObjective;
import dev.stratus.kernels.sgd.Minibatch;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Rows laid out for full-batch passes over several chunks (more rows than one chunk holds, keys shared between
 * chunks and keys no row has) sum the same keys, gradient, loss and squares as the rows taken one at a time.
 */
class FullBatchTest {
  private static final int FEATURES = 5_000;

  @Test
  void aPassOverTheChunksSumsWhatTheRowsSumOneByOne() {
    Random random = new Random(7);
    SparseRow[] rows = new SparseRow[3 * FullBatch.CHUNK_ROWS + 123];
    for (int r = 0; r < rows.length; r++) {
      TreeSet<Integer> keys = new TreeSet<>();
      int length = 1 + random.nextInt(40);
      while (keys.size() < length) {
        keys.add(random.nextInt(FEATURES / 2) * 2); // the odd keys: features no row has
      }
      int[] indices = keys.stream().mapToInt(Integer::intValue).toArray();
      float[] values = new float[indices.length];
      for (int j = 0; j < values.length; j++) {
        values[j] = (float) random.nextGaussian();
      }
      rows[r] = new SparseRow(random.nextBoolean() ? 1 : 0, indices, values);
    }
    float[] weights = new float[FEATURES + 1];
    for (int k = 0; k < weights.length; k++) {
      weights[k] = (float) random.nextGaussian() * 0.1f;
    }
    LinearObjective logistic = LinearObjective.of(LinearLoss.LOGISTIC);

    // one row at a time, summed into the whole key space
    TreeSet<Integer> touched = new TreeSet<>();
    double[] expectedGradient = new double[FEATURES + 1];
    double[] expectedSquares = new double[FEATURES + 1];
    double expectedLoss = 0;
    Minibatch one = new Minibatch();
    for (int r = 0; r < rows.length; r++) {
      one.fill(rows, r, r + 1, FEATURES);
      int[] keys = one.keys();
      float[] gathered = new float[keys.length];
      float[] gradient = new float[keys.length];
      for (int k = 0; k < keys.length; k++) {
        gathered[k] = weights[keys[k]];
        touched.add(keys[k]);
      }
      expectedLoss += logistic.gradient(one, gathered, gradient);
      for (int k = 0; k < keys.length; k++) {
        expectedGradient[keys[k]] += gradient[k];
      }
      for (int j = 0; j < rows[r].size(); j++) {
        expectedSquares[rows[r].indices()[j]] += rows[r].values()[j] * rows[r].values()[j];
      }
      expectedSquares[FEATURES] += 1;
    }

    FullBatch batch = FullBatch.of(rows, FEATURES);
    int[] keys = batch.keys();
    assertArrayEquals(touched.stream().mapToInt(Integer::intValue).toArray(), keys, "the union of the rows' keys");
    assertEquals(rows.length, batch.rows());
    float[] gradient = new float[FEATURES + 1];
    double loss = batch.addGradient(logistic, weights, gradient);
    float[] squares = new float[FEATURES + 1];
    batch.addSquares(squares);
    assertEquals(expectedLoss, loss, 1e-6 * expectedLoss, "the summed loss");
    for (int k = 0; k <= FEATURES; k++) {
      assertEquals(expectedGradient[k], gradient[k], 1e-3 + 1e-4 * Math.abs(expectedGradient[k]),
          "the gradient at key " + k);
      assertEquals(expectedSquares[k], squares[k], 1e-3 + 1e-4 * expectedSquares[k], "the squares at key " + k);
    }
  }
}
