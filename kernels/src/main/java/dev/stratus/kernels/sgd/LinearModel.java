package dev.stratus.kernels.sgd;

import dev.stratus.kernels.data.SparseRow;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A trained sparse linear model: one weight per feature and the bias last, as the parameter server stores it, and the
 * loss it was trained on (logistic regression or a linear SVM). It scores rows and (de)serializes to a compact
 * little-endian form for the object store.
 */
public final class LinearModel implements Serializable {
  private static final long serialVersionUID = 2L;
  private static final int MAGIC = 0x4c494e4d; // "LINM"
  private static final int FORMAT_VERSION = 2;
  /** What models written before linear SVMs start with: logistic regressions, format version 1, no loss recorded. */
  private static final int LOGISTIC_MAGIC = 0x4c4f474d; // "LOGM"

  private final float[] weights;
  private final LinearLoss loss;

  /** @param weights feature weights followed by the bias: {@code featureCount + 1} values */
  public LinearModel(float[] weights, LinearLoss loss) {
    if (weights.length < 1) {
      throw new IllegalArgumentException("a linear model needs at least the bias weight");
    }
    this.weights = weights;
    this.loss = java.util.Objects.requireNonNull(loss, "loss");
  }

  public int featureCount() {
    return weights.length - 1;
  }

  public float[] weights() {
    return weights;
  }

  public LinearLoss loss() {
    return loss;
  }

  /** {@code w.x + b}: positive for a row the model puts in class 1. */
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

  /** P(label = 1) for logistic regression; NaN for an SVM, whose margin is no probability. */
  public double predict(SparseRow row) {
    return probability(margin(row));
  }

  /** P(label = 1) of a row with this {@link #margin}: NaN for an SVM. */
  public double probability(double margin) {
    return loss.givesProbabilities() ? LinearLoss.sigmoid(margin) : Double.NaN;
  }

  /** The mean of the model's own loss on {@code rows}, and nothing else (no AUC to sort for). */
  public double meanLoss(SparseRow[] rows) {
    double sum = 0;
    for (SparseRow row : rows) {
      sum += loss.value(margin(row), row.label());
    }
    return rows.length == 0 ? Double.NaN : sum / rows.length;
  }

  /** The model's own loss, AUC and accuracy on {@code rows}. */
  public BinaryMetrics evaluate(SparseRow[] rows) {
    float[] labels = new float[rows.length];
    double[] margins = new double[rows.length];
    for (int i = 0; i < rows.length; i++) {
      labels[i] = rows[i].label();
      margins[i] = margin(rows[i]);
    }
    return BinaryMetrics.ofMargins(loss, labels, margins, rows.length);
  }

  public byte[] toBytes() {
    ByteBuffer out = ByteBuffer.allocate(16 + 4 * weights.length).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(MAGIC).putInt(FORMAT_VERSION).putInt(loss.ordinal()).putInt(weights.length);
    out.asFloatBuffer().put(weights);
    return out.array();
  }

  /** Reads {@link #toBytes()}'s form, and the logistic models of format version 1; {@code source} names the object. */
  public static LinearModel fromBytes(byte[] bytes, String source) {
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int magic = bytes.length < 12 ? 0 : in.getInt();
    if (magic != MAGIC && magic != LOGISTIC_MAGIC) {
      throw new IllegalArgumentException(source + " is not a Stratus linear model");
    }
    int version = in.getInt();
    int expected = magic == MAGIC ? FORMAT_VERSION : 1;
    if (version != expected) {
      throw new IllegalArgumentException(
          source + " has model format version " + version + "; this build reads version " + expected);
    }
    LinearLoss loss = LinearLoss.LOGISTIC;
    if (magic == MAGIC) {
      int ordinal = bytes.length < 16 ? -1 : in.getInt();
      if (ordinal < 0 || ordinal >= LinearLoss.values().length) {
        throw new IllegalArgumentException(source + " names loss " + ordinal + ", which this build does not know");
      }
      loss = LinearLoss.values()[ordinal];
    }
    int header = in.position() + 4;
    int length = bytes.length < header ? -1 : in.getInt();
    if (length < 1 || bytes.length != header + 4L * length) {
      throw new IllegalArgumentException(source + " is truncated: expected " + length + " weights");
    }
    float[] weights = new float[length];
    in.asFloatBuffer().get(weights);
    return new LinearModel(weights, loss);
  }
}
