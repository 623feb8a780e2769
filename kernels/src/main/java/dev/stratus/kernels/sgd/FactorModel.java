package dev.stratus.kernels.sgd;

import dev.stratus.kernels.data.SparseRow;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A matrix factorization of ratings ({@link dev.stratus.kernels.data.Ratings}' rows), as the parameter server stores
 * it: a row of {@code rank + 1} values per user and per item, its factors then its bias, and a last row whose bias is
 * the global offset learnt on top of {@code mean}. A rating is predicted as {@code mean + offset + b_user + b_item +
 * p_user . q_item}; a user or item the model never saw adds nothing.
 */
public final class FactorModel implements TrainedModel {
  private static final long serialVersionUID = 1L;
  static final int MAGIC = 0x4641434d; // "FACM"
  private static final int FORMAT_VERSION = 1;

  private final float[] weights;
  private final int rank;
  private final float mean;

  /**
   * @param weights {@code (users + items + 1) * (rank + 1)} values, row-major
   * @param mean the constant the predictions start from (the training ratings' mean)
   */
  public FactorModel(float[] weights, int rank, float mean) {
    if (rank < 1 || weights.length < rank + 1 || weights.length % (rank + 1) != 0) {
      throw new IllegalArgumentException("a factorization of rank " + rank + " needs a multiple of " + (rank + 1)
          + " values, at least one row, got " + weights.length);
    }
    this.weights = weights;
    this.rank = rank;
    this.mean = mean;
  }

  public int rank() {
    return rank;
  }

  public float[] weights() {
    return weights;
  }

  /** Users and items together: the features of the ratings the model scores. */
  public int featureCount() {
    return weights.length / (rank + 1) - 1;
  }

  /** The predicted rating of a rating row. */
  public double predict(SparseRow row) {
    int features = featureCount();
    int columns = rank + 1;
    double prediction = mean + weights[features * columns + rank];
    int[] idx = row.indices();
    if (idx.length != 2) {
      throw new IllegalArgumentException("a rating row has a user and an item, 2 features; this one has "
          + idx.length + ": " + row);
    }
    boolean userKnown = idx[0] < features;
    boolean itemKnown = idx[1] < features;
    int user = idx[0] * columns;
    int item = idx[1] * columns;
    if (userKnown) {
      prediction += weights[user + rank];
    }
    if (itemKnown) {
      prediction += weights[item + rank];
    }
    if (userKnown && itemKnown) {
      for (int f = 0; f < rank; f++) {
        prediction += weights[user + f] * weights[item + f];
      }
    }
    return prediction;
  }

  @Override
  public double meanLoss(SparseRow[] rows) {
    return evaluate(rows).loss();
  }

  @Override
  public RegressionMetrics evaluate(SparseRow[] rows) {
    double squared = 0;
    double absolute = 0;
    for (SparseRow row : rows) {
      double error = predict(row) - row.label();
      squared += error * error;
      absolute += Math.abs(error);
    }
    return RegressionMetrics.of(rows.length, squared, absolute);
  }

  @Override
  public byte[] toBytes() {
    ByteBuffer out = ByteBuffer.allocate(20 + 4 * weights.length).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(MAGIC).putInt(FORMAT_VERSION).putInt(rank).putFloat(mean).putInt(weights.length);
    out.asFloatBuffer().put(weights);
    return out.array();
  }

  /** Reads {@link #toBytes()}'s form; {@code source} names the object. */
  public static FactorModel fromBytes(byte[] bytes, String source) {
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < 20 || in.getInt() != MAGIC) {
      throw new IllegalArgumentException(source + " is not a Stratus matrix factorization");
    }
    int version = in.getInt();
    if (version != FORMAT_VERSION) {
      throw new IllegalArgumentException(
          source + " has factorization format version " + version + "; this build reads version " + FORMAT_VERSION);
    }
    int rank = in.getInt();
    float mean = in.getFloat();
    int length = in.getInt();
    if (length < 1 || bytes.length != 20 + 4L * length) {
      throw new IllegalArgumentException(source + " is truncated: expected " + length + " values");
    }
    float[] weights = new float[length];
    in.asFloatBuffer().get(weights);
    try {
      return new FactorModel(weights, rank, mean);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + " is not a valid factorization: " + e.getMessage(), e);
    }
  }
}
