package dev.stratus.benchmarks.ps;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Minibatches shaped like Criteo click logs hashed into a {@code 2^modelBits} model: 20 rows of 39 fields (13
 * bucketized counts, 26 categoricals), each field value drawn with a heavily skewed (log-uniform) frequency from its
 * own vocabulary and hashed with its field index. A minibatch's key set is the sorted union of its rows' keys;
 * its gradient is one small float per key.
 */
final class CriteoTraffic {
  static final int ROWS_PER_BATCH = 20;
  static final int FIELDS = 39;

  final int[][] keys;
  final float[][] gradients;

  CriteoTraffic(int batches, int modelBits, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int[] vocabulary = new int[FIELDS];
    for (int f = 0; f < FIELDS; f++) {
      // counts bucketize into few values; categoricals range from tens to millions of values
      vocabulary[f] = f < 13 ? 60 : (int) Math.pow(10, 1 + random.nextDouble() * 5);
    }
    keys = new int[batches][];
    gradients = new float[batches][];
    int mask = (1 << modelBits) - 1;
    int[] batch = new int[ROWS_PER_BATCH * FIELDS];
    for (int b = 0; b < batches; b++) {
      int n = 0;
      for (int row = 0; row < ROWS_PER_BATCH; row++) {
        for (int f = 0; f < FIELDS; f++) {
          int value = (int) Math.pow(vocabulary[f], random.nextDouble()) - 1; // skew: small ids are frequent
          batch[n++] = mix(f * 0x9E3779B1 + value) & mask;
        }
      }
      int[] sorted = Arrays.copyOf(batch, n);
      Arrays.sort(sorted);
      keys[b] = Arrays.stream(sorted).distinct().toArray();
      gradients[b] = new float[keys[b].length];
      for (int i = 0; i < gradients[b].length; i++) {
        gradients[b][i] = (float) (random.nextDouble() - 0.5) * 0.01f;
      }
    }
  }

  private static int mix(int x) {
    x ^= x >>> 16;
    x *= 0x7FEB352D;
    x ^= x >>> 15;
    x *= 0x846CA68B;
    return x ^ (x >>> 16);
  }

  double meanKeys() {
    return Arrays.stream(keys).mapToInt(k -> k.length).average().orElse(0);
  }
}
