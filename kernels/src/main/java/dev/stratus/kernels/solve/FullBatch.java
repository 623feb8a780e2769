package dev.stratus.kernels.solve;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.Minibatch;
import dev.stratus.kernels.sgd.LinearGradient;
import dev.stratus.kernels.sgd.LinearObjective;
import java.util.ArrayList;
import java.util.List;

/**
 * Rows held in memory for full-batch passes, as a quasi-Newton worker holds its partitions: laid out once as
 * minibatches of {@value #CHUNK_ROWS} rows whose slots are the model keys ({@link Minibatch#keyedCopy}), with the
 * sorted union of their keys. A pass reads the weights and sums the gradient in arrays indexed by key, the whole key
 * space: every chunk's rows straight from and into them, with no gathering per chunk and no sorting.
 */
public final class FullBatch {
  /** Rows per chunk: one chunk's entries are laid out with one reused sort buffer of this many rows. */
  static final int CHUNK_ROWS = 4096;

  private final List<Minibatch> chunks;
  private final int[] keys;
  private final int biasKey;
  private final long rows;

  private FullBatch(List<Minibatch> chunks, int[] keys, int biasKey, long rows) {
    this.chunks = chunks;
    this.keys = keys;
    this.biasKey = biasKey;
    this.rows = rows;
  }

  /** Lays out {@code rows}; {@code biasKey} is the feature count, the key every row's bias has. */
  public static FullBatch of(SparseRow[] rows, int biasKey) {
    List<Minibatch> chunks = new ArrayList<>();
    Minibatch layout = new Minibatch();
    for (int from = 0; from < rows.length; from += CHUNK_ROWS) {
      chunks.add(layout.fill(rows, from, Math.min(rows.length, from + CHUNK_ROWS), biasKey).keyedCopy());
    }
    KeySet union = new KeySet(biasKey);
    for (Minibatch chunk : chunks) {
      union.addAll(chunk.keyBuffer(), chunk.keyCount());
    }
    return new FullBatch(List.copyOf(chunks), union.toArray(), biasKey, rows.length);
  }

  /** The keys the rows touch, ascending, the bias last: what a pass pulls and pushes. */
  public int[] keys() {
    return keys;
  }

  /** The key of every row's bias, the largest: arrays indexed by key hold this plus one keys' values. */
  public int biasKey() {
    return biasKey;
  }

  public long rows() {
    return rows;
  }

  /**
   * Adds the summed gradient of every row at {@code weights} into {@code gradient} and returns the rows' summed loss.
   * Both arrays are indexed by key, {@code objective.columns()} values a key (key {@code k}'s at {@code k * columns}),
   * up to the bias key's; only the values of {@link #keys} are read and summed into.
   */
  public double addGradient(LinearObjective objective, float[] weights, float[] gradient) {
    double loss = 0;
    for (Minibatch chunk : chunks) {
      loss += LinearGradient.addSums(objective, chunk, weights, gradient);
    }
    return loss;
  }

  /**
   * One pass of AdaGrad over every row in order ({@link LinearGradient#adagradPass}), on {@code weights}, AdaGrad's
   * {@code squares} and the steps each weight last took its penalty at, all indexed by key, after {@code stepsBefore}
   * steps; returns the rows' summed loss, each row's before its own step.
   */
  public double adagradPass(LinearObjective objective, float[] weights, float[] squares, int[] penalisedAt,
      int stepsBefore, float learningRate, float l2) {
    double loss = 0;
    int steps = stepsBefore;
    for (Minibatch chunk : chunks) {
      loss += LinearGradient.adagradPass(objective, chunk, weights, squares, penalisedAt, steps, learningRate, l2);
      steps += chunk.rows();
    }
    return loss;
  }

  /** Adds each key's sum of squared values over every row (the bias's: the row count) into {@code sums}, by key. */
  public void addSquares(float[] sums) {
    for (Minibatch chunk : chunks) {
      chunk.addSquares(sums);
    }
  }

  /** A set of keys up to a largest one, as a bitmap of the key space: added in any order, read ascending. */
  static final class KeySet {
    private final long[] words;

    KeySet(int largestKey) {
      words = new long[(largestKey >>> 6) + 1];
    }

    void addAll(int[] keys, int count) {
      for (int k = 0; k < count; k++) {
        words[keys[k] >>> 6] |= 1L << keys[k];
      }
    }

    int[] toArray() {
      int count = 0;
      for (long word : words) {
        count += Long.bitCount(word);
      }
      int[] keys = new int[count];
      for (int w = 0, at = 0; w < words.length; w++) {
        for (long word = words[w]; word != 0; word &= word - 1) {
          keys[at++] = (w << 6) + Long.numberOfTrailingZeros(word);
        }
      }
      return keys;
    }
  }
}
