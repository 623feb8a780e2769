package dev.stratus.kernels.sgd;

/**
 * The loss a linear model is trained on: for a binary model, of its margin {@code m = w.x + b} and a 0/1 label (taken
 * as {@code y = -1} or {@code +1}); for K classes ({@link #MULTINOMIAL}), of one margin per class and a label in [0,
 * K). What the workers' gradients descend, what the monitor watches on the validation set, and what {@link
 * LinearModel#evaluate} reports.
 */
public enum LinearLoss {
  /** Logistic regression: {@code log(1 + exp(-y m))}; the model gives P(label = 1) as the sigmoid of the margin. */
  LOGISTIC("logloss"),
  /** The linear SVM's hinge loss, {@code max(0, 1 - y m)} (liblinear's L1-loss SVM, {@code -s 3}). */
  HINGE("hinge loss"),
  /** The linear SVM's squared hinge loss, {@code max(0, 1 - y m)^2} (liblinear's L2-loss SVM, {@code -s 1}/{@code -s 2}). */
  SQUARED_HINGE("squared hinge loss"),
  /**
   * Multinomial logistic regression over K classes: {@code -log softmax(m)[y]}, a weight vector and a margin per
   * class; the model gives each class's probability as the softmax of the margins.
   */
  MULTINOMIAL("multinomial logloss");

  private final String displayName;

  LinearLoss(String displayName) {
    this.displayName = displayName;
  }

  /** How the loss is named on the console and in tables: "logloss", "hinge loss", "squared hinge loss". */
  public String displayName() {
    return displayName;
  }

  /** Whether the model's margins give probabilities (sigmoid, softmax): both logistic regressions. */
  public boolean givesProbabilities() {
    return this == LOGISTIC || this == MULTINOMIAL;
  }

  /**
   * Whether the loss has a gradient everywhere: all but the hinge, whose kink a quasi-Newton solver's line searches
   * would stall on (it descends {@link #smoothedHinge} instead).
   */
  public boolean smooth() {
    return this != HINGE;
  }

  /**
   * The hinge with its kink rounded off over {@code width} below the margin 1 (a Huber hinge): 0 from {@code y m = 1}
   * on, {@code (1 - y m)^2 / (2 width)} within {@code width} of it, {@code 1 - y m - width / 2} below. It has a
   * gradient everywhere, its slope changing by at most {@code 1 / width}, and lies within {@code width / 2} of the
   * hinge, so its optimum's hinge objective is within {@code width / 2} of the hinge's optimum. A width of 0 is the
   * hinge itself.
   */
  public static double smoothedHinge(double margin, float label, double width) {
    double gap = 1 - sign(label) * margin;
    return gap <= 0 ? 0 : gap < width ? gap * gap / (2 * width) : gap - width / 2;
  }

  /** {@link #smoothedHinge}'s derivative in the margin (with a width of 0, the hinge's subgradient: 0 at the kink). */
  public static double smoothedHingeSlope(double margin, float label, double width) {
    double gap = 1 - sign(label) * margin;
    return gap <= 0 ? 0 : -sign(label) * Math.min(1, gap / width);
  }

  /**
   * The most the loss's second derivative in a margin reaches (a quarter for both logistic losses, 2 for the squared
   * hinge, none for the hinge): a weight's curvature is at most this times its feature's mean square.
   */
  public double curvatureBound() {
    return switch (this) {
      case LOGISTIC, MULTINOMIAL -> 0.25;
      case SQUARED_HINGE -> 2;
      case HINGE -> 0;
    };
  }

  /** Whether the model tells K classes apart with a margin each, rather than two by the sign of one. */
  public boolean multiclass() {
    return this == MULTINOMIAL;
  }

  /** Margins per row, and weights per feature, of a model of {@code classes} classes with this loss: 1 or K. */
  public int columns(int classes) {
    return multiclass() ? classes : 1;
  }

  /**
   * The loss of one row whose margins are {@code margins[0, columns)} ({@link #columns}), stable for margins of any
   * size; for K classes the label must be a class, 0 to K - 1.
   */
  public double value(double[] margins, int columns, float label) {
    return multiclass() ? softmaxLoss(margins, columns, label) : value(margins[0], label);
  }

  /** The loss of one row of a binary model, stable for margins of any size. */
  public double value(double margin, float label) {
    return switch (this) {
      case LOGISTIC -> logloss(margin, label, tail(margin));
      case HINGE -> smoothedHinge(margin, label, 0);
      case SQUARED_HINGE -> {
        double gap = Math.max(0, 1 - sign(label) * margin);
        yield gap * gap;
      }
      case MULTINOMIAL -> throw oneMarginPerClass();
    };
  }

  /** The binary loss's derivative in the margin (a subgradient at the hinge's kink: 0). */
  public double slope(double margin, float label) {
    return switch (this) {
      case LOGISTIC -> sigmoid(margin) - label;
      case HINGE -> smoothedHingeSlope(margin, label, 0);
      case SQUARED_HINGE -> -2 * sign(label) * Math.max(0, 1 - sign(label) * margin);
      case MULTINOMIAL -> throw oneMarginPerClass();
    };
  }

  private IllegalStateException oneMarginPerClass() {
    return new IllegalStateException(name() + " takes one margin per class, not a single margin");
  }

  /**
   * The class {@code label} names among {@code classes}: a whole number from 0 to {@code classes - 1}, else an error
   * that says which label it was.
   */
  public static int classOf(float label, int classes) {
    int c = (int) label;
    if (c != label || c < 0 || c >= classes) {
      throw new IllegalArgumentException("label " + label + " is not one of the model's " + classes + " classes (0 to "
          + (classes - 1) + "): load the data with classes(" + classes + ") to have such rows named by file and line");
    }
    return c;
  }

  /**
   * Turns {@code margins[0, classes)} into their softmax in place and returns the log of the normaliser, {@code
   * log sum exp(m)}, computed from the largest margin so that nothing overflows.
   */
  public static double softmaxInPlace(double[] margins, int classes) {
    double logSum = logSumExp(margins, classes);
    for (int c = 0; c < classes; c++) {
      margins[c] = Math.exp(margins[c] - logSum);
    }
    return logSum;
  }

  /** {@code log sum exp(m) - m[label]}, without changing the margins. */
  private static double softmaxLoss(double[] margins, int classes, float label) {
    return logSumExp(margins, classes) - margins[classOf(label, classes)];
  }

  /** {@code log sum exp(margins[0, classes))}, from the largest margin so that nothing overflows. */
  private static double logSumExp(double[] margins, int classes) {
    double largest = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < classes; c++) {
      largest = Math.max(largest, margins[c]);
    }
    double sum = 0;
    for (int c = 0; c < classes; c++) {
      sum += Math.exp(margins[c] - largest);
    }
    return largest + Math.log(sum);
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
    // tail is in (0, 1]: log(1 + tail) is off by at most an ulp of 1, nothing beside a row's loss, and Math.log is an
    // intrinsic where Math.log1p is a call into native fdlibm on Java 17.
    return Math.log(1 + tail) + Math.max(margin, 0) - label * margin;
  }
}
