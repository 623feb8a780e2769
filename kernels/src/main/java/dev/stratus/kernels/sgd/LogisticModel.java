package dev.stratus.kernels.sgd;

import dev.stratus.kernels.data.SparseRow;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A trained sparse logistic-regression model: one weight per feature and the bias last, as the parameter server
 * stores it. It scores rows and (de)serializes to a compact little-endian form for the object store.
 */
public final class LogisticModel implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int MAGIC = 0x4c4f474d; // "LOGM"
  private static final int FORMAT_VERSION = 1;

  private final float[] weights;

  /** @param weights feature weights followed by the bias: {@code featureCount + 1} values */
  public LogisticModel(float[] weights) {
    if (weights.length < 1) {
      throw new IllegalArgumentException("a logistic model needs at least the bias weight");
    }
    this.weights = weights;
  }

  public int featureCount() {
    return weights.length - 1;
  }

  public float[] weights() {
    return weights;
  }

  public double margin(SparseRow row) {
    double margin = weights[weights.length - 1];
    int[] idx = row.indices();
    float[] val = row.values();
    for (int j = 0; j < idx.length; j++) {
      if (idx[j] < weights.length - 1) { // a feature the model never saw scores zero
        margin += weights[idx[j]] * val[j];
      }
    }
    return margin;
  }

  /** P(label = 1 | row). */
  public double predict(SparseRow row) {
    return LogisticGradient.sigmoid(margin(row));
  }

  public BinaryMetrics evaluate(SparseRow[] rows) {
    float[] labels = new float[rows.length];
    double[] probabilities = new double[rows.length];
    for (int i = 0; i < rows.length; i++) {
      labels[i] = rows[i].label();
      probabilities[i] = predict(rows[i]);
    }
    return BinaryMetrics.of(labels, probabilities, rows.length);
  }

  public byte[] toBytes() {
    ByteBuffer out = ByteBuffer.allocate(12 + 4 * weights.length).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(MAGIC).putInt(FORMAT_VERSION).putInt(weights.length);
    out.asFloatBuffer().put(weights);
    return out.array();
  }

  /** Reads {@link #toBytes()}'s form; {@code source} names the object in errors. */
  public static LogisticModel fromBytes(byte[] bytes, String source) {
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < 12 || in.getInt() != MAGIC) {
      throw new IllegalArgumentException(source + " is not a Stratus logistic model");
    }
    int version = in.getInt();
    if (version != FORMAT_VERSION) {
      throw new IllegalArgumentException(
          source + " has model format version " + version + "; this build reads version " + FORMAT_VERSION);
    }
    int length = in.getInt();
    if (length < 1 || bytes.length != 12 + 4L * length) {
      throw new IllegalArgumentException(source + " is truncated: expected " + length + " weights");
    }
    float[] weights = new float[length];
    in.asFloatBuffer().get(weights);
    return new LogisticModel(weights);
  }
}
