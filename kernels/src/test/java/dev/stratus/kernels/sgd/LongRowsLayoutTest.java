package dev.stratus.kernels.sgd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.kernels.data.SparseRow;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Minibatches of long rows (hundreds of entries a row, keys shared between rows) laid out and differentiated exactly
 * as a straightforward computation over a sorted map does it, for key spaces that take one to four radix passes.
 */
class LongRowsLayoutTest {
  private static SparseRow[] longRows(Random random, int count, int features) {
    SparseRow[] rows = new SparseRow[count];
    for (int r = 0; r < count; r++) {
      TreeSet<Integer> words = new TreeSet<>();
      int length = Math.min(100 + random.nextInt(400), features / 2);
      while (words.size() < length) {
        // Skewed towards small keys, so rows share many of them, as words do.
        words.add((int) (features * Math.pow(random.nextDouble(), 3)));
      }
      int[] idx = words.stream().mapToInt(Integer::intValue).toArray();
      float[] val = new float[idx.length];
      for (int j = 0; j < val.length; j++) {
        val[j] = (float) random.nextGaussian();
      }
      rows[r] = new SparseRow(random.nextBoolean() ? 1 : 0, idx, val);
    }
    return rows;
  }

  @ParameterizedTest
  @ValueSource(ints = {200, 1 << 16, 1 << 20, Integer.MAX_VALUE - 1})
  void layoutAndGradientMatchAReferenceOverASortedMap(int features) {
    Random random = new Random(features);
    SparseRow[] rows = longRows(random, 60, features);
    Minibatch batch = new Minibatch();
    for (int[] range : new int[][] {{0, 20}, {20, 23}, {23, 60}, {5, 25}}) {
      int from = range[0];
      int to = range[1];
      batch.fill(rows, from, to, features);

      TreeMap<Integer, Double> reference = new TreeMap<>();
      for (int r = from; r < to; r++) {
        for (int key : rows[r].indices()) {
          reference.put(key, 0.0);
        }
      }
      int[] expectedKeys = new int[reference.size() + 1];
      int k = 0;
      for (int key : reference.keySet()) {
        expectedKeys[k++] = key;
      }
      expectedKeys[k] = features;
      assertArrayEquals(expectedKeys, batch.keys(), "keys of rows " + from + ".." + to);
      for (int r = from, entry = 0; r < to; r++) {
        assertEquals(entry, batch.rowStart(r - from));
        for (int j = 0; j < rows[r].size(); j++, entry++) {
          assertEquals(rows[r].indices()[j], expectedKeys[batch.slot(entry)], "entry " + entry + "'s slot");
          assertEquals(rows[r].values()[j], batch.value(entry));
        }
      }

      float[] weights = new float[batch.keyCount()];
      Map<Integer, Float> weightOf = new TreeMap<>();
      for (int i = 0; i < weights.length; i++) {
        weights[i] = (float) (random.nextGaussian() * 0.1);
        weightOf.put(expectedKeys[i], weights[i]);
      }
      float[] gradient = new float[batch.keyCount()];
      double loss = LinearGradient.compute(LinearLoss.LOGISTIC, batch, weights, gradient);

      double referenceLoss = 0;
      double biasGradient = 0;
      for (int r = from; r < to; r++) {
        double margin = weightOf.get(features);
        for (int j = 0; j < rows[r].size(); j++) {
          margin += weightOf.get(rows[r].indices()[j]) * rows[r].values()[j];
        }
        double p = 1 / (1 + Math.exp(-margin));
        double label = rows[r].label();
        referenceLoss += -(label * Math.log(p) + (1 - label) * Math.log(1 - p));
        for (int j = 0; j < rows[r].size(); j++) {
          reference.merge(rows[r].indices()[j], (p - label) * rows[r].values()[j], Double::sum);
        }
        biasGradient += p - label;
      }
      reference.put(features, biasGradient);
      assertEquals(referenceLoss, loss, 1e-4 * (to - from));
      k = 0;
      for (double g : reference.values()) {
        assertEquals(g / (to - from), gradient[k], 1e-5, "gradient of key " + expectedKeys[k]);
        k++;
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 7})
  void rowsWithoutEntriesOrAllOnOneKeyLayOutTheBiasAlone(int onlyKey) {
    SparseRow empty = new SparseRow(1, new int[0], new float[0]);
    SparseRow single = new SparseRow(0, new int[] {onlyKey}, new float[] {2});
    Minibatch batch = new Minibatch().fill(new SparseRow[] {empty, empty}, 0, 2, 10);
    assertArrayEquals(new int[] {10}, batch.keys());
    batch.fill(new SparseRow[] {single, empty, single}, 0, 3, 10);
    assertArrayEquals(new int[] {onlyKey, 10}, batch.keys());
    assertEquals(0, batch.slot(0));
    assertEquals(0, batch.slot(1));
    assertEquals(Arrays.asList(0, 1, 1, 2), Arrays.asList(batch.rowStart(0), batch.rowStart(1), batch.rowStart(2),
        batch.rowStart(3)));
  }
}
