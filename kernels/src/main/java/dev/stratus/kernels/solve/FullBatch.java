package dev.stratus.kernels.solve;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.Minibatch;
import dev.stratus.kernels.sgd.Objective;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rows held in memory for full-batch passes, as a quasi-Newton worker holds its partitions: laid out once as
 * minibatches of {@value #CHUNK_ROWS} rows (sorted keys, the bias key last), with the sorted union of their keys and
 * where each chunk's keys sit in it. A pass is then a pull of the union's values, each chunk's gradient over the
 * values gathered for it, summed into the union's gradient, and a push: one round trip a pass, each key's value and
 * gradient sent once however many chunks touch it, and no sorting.
 */
public final class FullBatch {
  /** Rows per chunk: enough that the gathering per chunk costs little beside its gradient. */
  static final int CHUNK_ROWS = 4096;

  private final List<Minibatch> chunks;
  /** For each chunk, the position in {@link #keys} of each of its keys. */
  private final int[][] positions;
  private final int[] keys;
  private final long rows;

  private FullBatch(List<Minibatch> chunks, int[][] positions, int[] keys, long rows) {
    this.chunks = chunks;
    this.positions = positions;
    this.keys = keys;
    this.rows = rows;
  }

  /** Lays out {@code rows}; {@code biasKey} is the feature count, the key every row's bias has. */
  public static FullBatch of(SparseRow[] rows, int biasKey) {
    List<Minibatch> chunks = new ArrayList<>();
    Minibatch layout = new Minibatch();
    for (int from = 0; from < rows.length; from += CHUNK_ROWS) {
      chunks.add(layout.fill(rows, from, Math.min(rows.length, from + CHUNK_ROWS), biasKey).compactCopy());
    }
    // the union of the chunks' keys (all at most the bias key) marked in a bitmap of the key space: a key's place in
    // the union is the marks before it, the words' counts before its word and the bits below it in its word
    long[] marked = new long[(biasKey >>> 6) + 1];
    for (Minibatch chunk : chunks) {
      int[] keys = chunk.keyBuffer();
      for (int k = 0; k < chunk.keyCount(); k++) {
        marked[keys[k] >>> 6] |= 1L << keys[k];
      }
    }
    int[] marksBefore = new int[marked.length];
    int count = 0;
    for (int w = 0; w < marked.length; w++) {
      marksBefore[w] = count;
      count += Long.bitCount(marked[w]);
    }
    int[] union = new int[count];
    for (int w = 0, at = 0; w < marked.length; w++) {
      for (long word = marked[w]; word != 0; word &= word - 1) {
        union[at++] = (w << 6) + Long.numberOfTrailingZeros(word);
      }
    }
    int[][] positions = new int[chunks.size()][];
    for (int c = 0; c < chunks.size(); c++) {
      Minibatch chunk = chunks.get(c);
      int[] keys = chunk.keyBuffer();
      positions[c] = new int[chunk.keyCount()];
      for (int k = 0; k < chunk.keyCount(); k++) {
        int key = keys[k];
        positions[c][k] = marksBefore[key >>> 6] + Long.bitCount(marked[key >>> 6] & ((1L << key) - 1));
      }
    }
    return new FullBatch(List.copyOf(chunks), positions, union, rows.length);
  }

  /** The keys the rows touch, ascending, the bias last: what a pass pulls and pushes. */
  public int[] keys() {
    return keys;
  }

  public long rows() {
    return rows;
  }

  /**
   * Adds the summed gradient of every row at {@code weights} into {@code gradient} and returns the rows' summed loss.
   * Both arrays hold {@code objective.columns()} values a key, laid out by a set of keys that includes {@link #keys}:
   * key {@code k} of {@link #keys} sits at index {@code into[k]} of that set, or at {@code k} when {@code into} is null
   * (the set is {@link #keys} itself). So the batches of several partitions add into one pull's values, with no copy.
   */
  public double addGradient(Objective objective, float[] weights, float[] gradient, int[] into) {
    int columns = objective.columns();
    double loss = 0;
    float[] gathered = new float[0];
    float[] chunkGradient = new float[0];
    for (int c = 0; c < chunks.size(); c++) {
      Minibatch chunk = chunks.get(c);
      int[] at = positions[c];
      int values = at.length * columns;
      if (gathered.length < values) {
        gathered = new float[values];
        chunkGradient = new float[values];
      }
      for (int k = 0; k < at.length; k++) {
        System.arraycopy(weights, index(at[k], into) * columns, gathered, k * columns, columns);
      }
      loss += objective.gradient(chunk, gathered, chunkGradient);
      float rowsInChunk = chunk.rows(); // the objective's gradient is the chunk's mean
      for (int k = 0; k < at.length; k++) {
        int to = index(at[k], into) * columns;
        for (int j = 0; j < columns; j++) {
          gradient[to + j] += chunkGradient[k * columns + j] * rowsInChunk;
        }
      }
    }
    return loss;
  }

  /**
   * Adds each key's sum of squared values over every row (the bias's: the row count) into {@code sums}, laid out as
   * {@link #addGradient} lays out one column.
   */
  public void addSquares(float[] sums, int[] into) {
    float[] chunkSums = new float[0];
    for (int c = 0; c < chunks.size(); c++) {
      int[] at = positions[c];
      if (chunkSums.length < at.length) {
        chunkSums = new float[at.length];
      }
      Arrays.fill(chunkSums, 0, at.length, 0f);
      chunks.get(c).addSquares(chunkSums);
      for (int k = 0; k < at.length; k++) {
        sums[index(at[k], into)] += chunkSums[k];
      }
    }
  }

  /** Where key {@code k} of {@link #keys} sits in a layout that maps it {@code into} (null: where it is). */
  private static int index(int k, int[] into) {
    return into == null ? k : into[k];
  }
}
