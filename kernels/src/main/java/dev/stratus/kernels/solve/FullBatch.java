package dev.stratus.kernels.solve;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.Minibatch;
import dev.stratus.kernels.sgd.Objective;
import java.util.ArrayList;
import java.util.List;

/**
 * Rows held in memory for full-batch passes, as a quasi-Newton worker holds its partitions: laid out once as
 * minibatches of {@value #CHUNK_ROWS} rows (sorted keys, the bias key last), so that each pass is a pull of a chunk's
 * keys, its gradient, and a push, with no sorting.
 */
public final class FullBatch {
  /** Rows per chunk: enough that a pull and a push per chunk cost little beside its gradient. */
  static final int CHUNK_ROWS = 4096;

  private final List<Minibatch> chunks;
  private final long rows;

  private FullBatch(List<Minibatch> chunks, long rows) {
    this.chunks = chunks;
    this.rows = rows;
  }

  /** Lays out {@code rows}; {@code biasKey} is the feature count, the key every row's bias has. */
  public static FullBatch of(SparseRow[] rows, int biasKey) {
    List<Minibatch> chunks = new ArrayList<>();
    for (int from = 0; from < rows.length; from += CHUNK_ROWS) {
      chunks.add(new Minibatch().fill(rows, from, Math.min(rows.length, from + CHUNK_ROWS), biasKey).compact());
    }
    return new FullBatch(List.copyOf(chunks), rows.length);
  }

  public List<Minibatch> chunks() {
    return chunks;
  }

  public long rows() {
    return rows;
  }

  /**
   * Writes the summed gradient of {@code chunk}'s rows at {@code weights} (its keys' values, {@code
   * objective.columns()} each, in key order) into {@code gradient} and returns their summed loss.
   */
  public static double summedGradient(Objective objective, Minibatch chunk, float[] weights, float[] gradient) {
    double loss = objective.gradient(chunk, weights, gradient);
    int values = chunk.keyCount() * objective.columns();
    float rowsInChunk = chunk.rows();
    for (int i = 0; i < values; i++) {
      gradient[i] *= rowsInChunk;
    }
    return loss;
  }

  /**
   * The summed loss of every row at {@code point}, a whole model ({@code (features + 1) * columns} values, row by
   * row), and its summed gradient added into {@code gradientSum}, computed here: a pass without shards.
   */
  public double addGradient(Objective objective, double[] point, double[] gradientSum) {
    int columns = objective.columns();
    double loss = 0;
    for (Minibatch chunk : chunks) {
      int[] keys = chunk.keyBuffer();
      int values = chunk.keyCount() * columns;
      float[] weights = new float[values];
      for (int k = 0; k < chunk.keyCount(); k++) {
        for (int c = 0; c < columns; c++) {
          weights[k * columns + c] = (float) point[keys[k] * columns + c];
        }
      }
      float[] gradient = new float[values];
      loss += summedGradient(objective, chunk, weights, gradient);
      for (int k = 0; k < chunk.keyCount(); k++) {
        for (int c = 0; c < columns; c++) {
          gradientSum[keys[k] * columns + c] += gradient[k * columns + c];
        }
      }
    }
    return loss;
  }
}
