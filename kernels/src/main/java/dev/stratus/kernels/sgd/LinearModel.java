package dev.stratus.kernels.sgd;

import dev.stratus.kernels.data.SparseRow;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A trained sparse linear model as the parameter server stores it, and the loss it was trained on (logistic
 * regression, a linear SVM, or multinomial logistic regression over K classes). A binary model has one weight per
 * feature and the bias last; a model of K classes has a row of K weights per feature (one per class, row-major) and the
 * K biases last. It scores rows and (de)serializes to a compact little-endian form for the object store.
 */
public final class LinearModel implements TrainedModel {
  private static final long serialVersionUID = 3L;
  private static final int MAGIC = 0x4c494e4d; // "LINM"
  /** Version 3 records the number of classes; version 2 models are binary. */
  private static final int FORMAT_VERSION = 3;
  /** What models written before linear SVMs start with: logistic regressions, format version 1, no loss recorded. */
  private static final int LOGISTIC_MAGIC = 0x4c4f474d; // "LOGM"

  private final float[] weights;
  private final LinearLoss loss;
  private final int classes;
  private final int columns;

  /** A binary model: {@code weights} are the feature weights followed by the bias, {@code featureCount + 1} values. */
  public LinearModel(float[] weights, LinearLoss loss) {
    this(weights, loss, 2);
  }

  /**
   * A model of {@code classes} classes (2 for the binary losses): {@code (featureCount + 1) * loss.columns(classes)}
   * weights, the biases last.
   */
  public LinearModel(float[] weights, LinearLoss loss, int classes) {
    this.loss = java.util.Objects.requireNonNull(loss, "loss");
    if (classes < 2 || (!loss.multiclass() && classes != 2)) {
      throw new IllegalArgumentException(loss + " models " + (loss.multiclass() ? "at least 2" : "exactly 2")
          + " classes, got " + classes);
    }
    this.classes = classes;
    this.columns = loss.columns(classes);
    if (weights.length < columns || weights.length % columns != 0) {
      throw new IllegalArgumentException("a linear model of " + columns + " weights per feature needs a multiple of "
          + columns + " weights, at least the biases, got " + weights.length);
    }
    this.weights = weights;
  }

  public int featureCount() {
    return weights.length / columns - 1;
  }

  public float[] weights() {
    return weights;
  }

  public LinearLoss loss() {
    return loss;
  }

  /** Classes the model tells apart: 2 for a binary model. */
  public int classes() {
    return classes;
  }

  /** Margins per row, and weights per feature: 1 for a binary model, K for K classes. */
  public int columns() {
    return columns;
  }

  /** A binary model's {@code w.x + b}: positive for a row the model puts in class 1. */
  public double margin(SparseRow row) {
    if (columns != 1) {
      throw new IllegalStateException("a model of " + classes + " classes has a margin per class: use margins");
    }
    double margin = weights[weights.length - 1];
    int[] idx = row.indices();
    float[] val = row.values();
    int features = featureCount();
    for (int j = 0; j < idx.length; j++) {
      if (idx[j] < features) { // a feature the model never saw scores zero
        margin += weights[idx[j]] * val[j];
      }
    }
    return margin;
  }

  /** Writes the row's {@link #columns} margins, one per class of a K-class model, into {@code out[0, columns)}. */
  public void margins(SparseRow row, double[] out) {
    int features = featureCount();
    int biases = features * columns;
    for (int c = 0; c < columns; c++) {
      out[c] = weights[biases + c];
    }
    int[] idx = row.indices();
    float[] val = row.values();
    for (int j = 0; j < idx.length; j++) {
      if (idx[j] < features) {
        int at = idx[j] * columns;
        for (int c = 0; c < columns; c++) {
          out[c] += weights[at + c] * val[j];
        }
      }
    }
  }

  /** The class of a row with these {@link #margins}: the largest margin's, or 1 where a binary margin is positive. */
  public int predictedClass(double[] margins) {
    if (columns == 1) {
      return margins[0] >= 0 ? 1 : 0;
    }
    int best = 0;
    for (int c = 1; c < columns; c++) {
      if (margins[c] > margins[best]) {
        best = c;
      }
    }
    return best;
  }

  /** P(label = 1) for a binary logistic regression; NaN for an SVM, whose margin is no probability. */
  public double predict(SparseRow row) {
    return probability(margin(row));
  }

  /** P(label = 1) of a row with this binary {@link #margin}: NaN for an SVM. */
  public double probability(double margin) {
    return loss.givesProbabilities() ? LinearLoss.sigmoid(margin) : Double.NaN;
  }

  /**
   * What a linear model's training minimises on {@code rows}: the mean loss plus {@code l2 / 2} times the squared
   * weights plus {@code l1} times their absolute values, every weight the biases included; liblinear's objective at
   * {@code C = 1 / (l2 n)} (or {@code 1 / (l1 n)}) divided by {@code C n}.
   */
  public double objective(SparseRow[] rows, double l2, double l1) {
    double squares = 0;
    double absolutes = 0;
    for (float w : weights) {
      squares += (double) w * w;
      absolutes += Math.abs(w);
    }
    return meanLoss(rows) + l2 / 2 * squares + l1 * absolutes;
  }

  /** The model's own loss on {@code row}. */
  public double loss(SparseRow row) {
    double[] margins = new double[columns];
    margins(row, margins);
    return loss.value(margins, columns, row.label());
  }

  /** The mean of the model's own loss on {@code rows}, and nothing else (no AUC to sort for). */
  @Override
  public double meanLoss(SparseRow[] rows) {
    double sum = 0;
    double[] margins = new double[columns];
    for (SparseRow row : rows) {
      margins(row, margins);
      sum += loss.value(margins, columns, row.label());
    }
    return rows.length == 0 ? Double.NaN : sum / rows.length;
  }

  /** The model's own loss, AUC (binary models), accuracy and confusion matrix on {@code rows}. */
  @Override
  public ClassifierMetrics evaluate(SparseRow[] rows) {
    if (columns == 1) {
      float[] labels = new float[rows.length];
      double[] margins = new double[rows.length];
      for (int i = 0; i < rows.length; i++) {
        labels[i] = rows[i].label();
        margins[i] = margin(rows[i]);
      }
      return ClassifierMetrics.ofMargins(loss, labels, margins, rows.length);
    }
    ConfusionMatrix confusion = new ConfusionMatrix(classes);
    double lossSum = 0;
    double[] margins = new double[columns];
    for (SparseRow row : rows) {
      margins(row, margins);
      lossSum += loss.value(margins, columns, row.label());
      confusion.add(LinearLoss.classOf(row.label(), classes), predictedClass(margins));
    }
    return ClassifierMetrics.ofClasses(lossSum, confusion);
  }

  @Override
  public byte[] toBytes() {
    ByteBuffer out = ByteBuffer.allocate(20 + 4 * weights.length).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(MAGIC).putInt(FORMAT_VERSION).putInt(loss.ordinal()).putInt(classes).putInt(weights.length);
    out.asFloatBuffer().put(weights);
    return out.array();
  }

  /**
   * Reads {@link #toBytes()}'s form, the binary models of format version 2 and the logistic models of version 1;
   * {@code source} names the object.
   */
  public static LinearModel fromBytes(byte[] bytes, String source) {
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int magic = bytes.length < 12 ? 0 : in.getInt();
    if (magic != MAGIC && magic != LOGISTIC_MAGIC) {
      throw new IllegalArgumentException(source + " is not a Stratus linear model");
    }
    int version = in.getInt();
    if (magic == MAGIC ? version != 2 && version != FORMAT_VERSION : version != 1) {
      throw new IllegalArgumentException(source + " has model format version " + version + "; this build reads "
          + (magic == MAGIC ? "versions 2 and " + FORMAT_VERSION : "version 1"));
    }
    LinearLoss loss = LinearLoss.LOGISTIC;
    int classes = 2;
    if (magic == MAGIC) {
      int ordinal = bytes.length < 16 ? -1 : in.getInt();
      if (ordinal < 0 || ordinal >= LinearLoss.values().length) {
        throw new IllegalArgumentException(source + " names loss " + ordinal + ", which this build does not know");
      }
      loss = LinearLoss.values()[ordinal];
      if (version == FORMAT_VERSION) {
        classes = bytes.length < 20 ? -1 : in.getInt();
      }
    }
    int header = in.position() + 4;
    int length = bytes.length < header ? -1 : in.getInt();
    if (length < 1 || bytes.length != header + 4L * length) {
      throw new IllegalArgumentException(source + " is truncated: expected " + length + " weights");
    }
    float[] weights = new float[length];
    in.asFloatBuffer().get(weights);
    try {
      return new LinearModel(weights, loss, classes);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + " is not a valid model: " + e.getMessage(), e);
    }
  }
}
