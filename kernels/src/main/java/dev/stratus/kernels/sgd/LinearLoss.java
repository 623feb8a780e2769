package dev.stratus.kernels.sgd;

/**
 * The loss a linear model is trained on, of its margin {@code m = w.x + b} and a 0/1 label (taken as {@code y = -1}
 * or {@code +1}): what the workers' gradients descend, what the monitor watches on the validation set, and what
 * {@link LinearModel#evaluate} reports.
 */
public enum LinearLoss {
  /** Logistic regression: {@code log(1 + exp(-y m))}; the model gives P(label = 1) as the sigmoid of the margin. */
  LOGISTIC("logloss"),
  /** The linear SVM's hinge loss, {@code max(0, 1 - y m)} (liblinear's L1-loss SVM, {@code -s 3}). */
  HINGE("hinge loss"),
  /** The linear SVM's squared hinge loss, {@code max(0, 1 - y m)^2} (liblinear's L2-loss SVM, {@code -s 1}/{@code -s 2}). */
  SQUARED_HINGE("squared hinge loss");

  private final String displayName;

  LinearLoss(String displayName) {
    this.displayName = displayName;
  }

  /** How the loss is named on the console and in tables: "logloss", "hinge loss", "squared hinge loss". */
  public String displayName() {
    return displayName;
  }

  /** Whether the model's margin has a probability (its sigmoid): logistic regression only. */
  public boolean givesProbabilities() {
    return this == LOGISTIC;
  }

  /** The loss of one row, stable for margins of any size. */
  public double value(double margin, float label) {
    return switch (this) {
      case LOGISTIC -> logloss(margin, label, tail(margin));
      case HINGE -> Math.max(0, 1 - sign(label) * margin);
      case SQUARED_HINGE -> {
        double gap = Math.max(0, 1 - sign(label) * margin);
        yield gap * gap;
      }
    };
  }

  /** The loss's derivative in the margin (a subgradient at the hinge's kink: 0). */
  public double slope(double margin, float label) {
    return switch (this) {
      case LOGISTIC -> sigmoid(margin) - label;
      case HINGE -> sign(label) * margin < 1 ? -sign(label) : 0;
      case SQUARED_HINGE -> -2 * sign(label) * Math.max(0, 1 - sign(label) * margin);
    };
  }

  /** P(label = 1) of a logistic model's margin. */
  public static double sigmoid(double margin) {
    return sigmoid(margin, tail(margin));
  }

  private static double sign(float label) {
    return label > 0.5f ? 1 : -1;
  }

  /** {@code exp(-|margin|)}, in (0, 1]: both the loss and the probability are written in it without overflow. */
  static double tail(double margin) {
    return Math.exp(-Math.abs(margin));
  }

  static double sigmoid(double margin, double tail) {
    return margin >= 0 ? 1 / (1 + tail) : tail / (1 + tail);
  }

  static double logloss(double margin, float label, double tail) {
    return Math.log1p(tail) + Math.max(margin, 0) - label * margin;
  }
}
