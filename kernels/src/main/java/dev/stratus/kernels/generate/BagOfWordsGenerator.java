package dev.stratus.kernels.generate;

import dev.stratus.kernels.data.SparseRow;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Synthetic bag-of-words documents with long rows: each document draws its tokens from a Zipf law over a large
 * vocabulary (a few words in most documents, most words rare), and its row holds one entry per distinct token,
 * {@code log(1 + count)}, scaled to unit length. Labels come from a planted linear model, a Gaussian weight per
 * word derived from a hash of (seed, word) so no table is kept, through the logistic function; the planted model's
 * own logloss on the rows it labelled is the floor a learner is read against.
 *
 * <p>Everything follows from the seed: the same seed gives the same rows in the same order.
 */
public final class BagOfWordsGenerator {
  /** Per-word weight scale: rows have unit length, so a margin's spread is about this. */
  private static final double WEIGHT_SCALE = 4;

  private final long seed;
  private final int vocabulary;
  private final int tokensPerDocument;
  private final double exponent;
  private final double zipfRange;
  private final SplittableRandom random;
  private final int[] tokens;
  private double plantedLossSum;
  private long rows;

  /**
   * @param vocabulary words, the feature count
   * @param tokensPerDocument mean tokens drawn per document (their distinct count is the row's length)
   * @param exponent the Zipf law's exponent, above 1
   */
  public BagOfWordsGenerator(long seed, int vocabulary, int tokensPerDocument, double exponent) {
    if (exponent <= 1) {
      throw new IllegalArgumentException("the Zipf exponent must be above 1, got " + exponent);
    }
    this.seed = seed;
    this.vocabulary = vocabulary;
    this.tokensPerDocument = tokensPerDocument;
    this.exponent = exponent;
    this.zipfRange = Math.pow(vocabulary + 1, 1 - exponent) - 1;
    this.random = new SplittableRandom(seed);
    this.tokens = new int[2 * tokensPerDocument];
  }

  public int vocabulary() {
    return vocabulary;
  }

  /** The next document: its distinct words ascending, {@code log(1 + count)} each at unit length, and its label. */
  public SparseRow next() {
    // Document lengths vary around the mean, from half to one and a half times it.
    int length = tokensPerDocument / 2 + random.nextInt(tokensPerDocument + 1);
    for (int t = 0; t < length; t++) {
      tokens[t] = zipfWord(random.nextDouble());
    }
    Arrays.sort(tokens, 0, length);
    int distinct = 0;
    for (int t = 0; t < length; t++) {
      if (t == 0 || tokens[t] != tokens[t - 1]) {
        distinct++;
      }
    }
    int[] indices = new int[distinct];
    float[] values = new float[distinct];
    double squares = 0;
    for (int t = 0, d = -1; t < length; t++) {
      if (t == 0 || tokens[t] != tokens[t - 1]) {
        indices[++d] = tokens[t];
      }
      values[d]++;
    }
    for (int d = 0; d < distinct; d++) {
      values[d] = (float) Math.log1p(values[d]);
      squares += values[d] * values[d];
    }
    double margin = 0;
    float norm = (float) (1 / Math.sqrt(squares));
    for (int d = 0; d < distinct; d++) {
      values[d] *= norm;
      margin += plantedWeight(indices[d]) * values[d];
    }
    double p = 1 / (1 + Math.exp(-margin));
    float label = random.nextDouble() < p ? 1 : 0;
    plantedLossSum += -(label == 1 ? Math.log(p) : Math.log1p(-p));
    rows++;
    return new SparseRow(label, indices, values);
  }

  /** The planted model's mean logloss over the rows generated so far. */
  public double plantedLogloss() {
    return rows == 0 ? 0 : plantedLossSum / rows;
  }

  /** A word in 0..vocabulary-1, the most frequent first (continuous inverse CDF of the Zipf law, floored). */
  private int zipfWord(double u) {
    long rank = (long) Math.pow(1 + u * zipfRange, 1 / (1 - exponent));
    return (int) Math.min(Math.max(rank, 1), vocabulary) - 1;
  }

  /** A standard Gaussian weight times the scale, from a hash of (seed, word): the same word always weighs the same. */
  double plantedWeight(int word) {
    long h = mix(seed * 0x9E3779B97F4A7C15L + word);
    double u1 = ((h >>> 11) + 1) * 0x1.0p-53;
    double u2 = (mix(h) >>> 11) * 0x1.0p-53;
    return WEIGHT_SCALE * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** SplitMix64's finalizer. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
