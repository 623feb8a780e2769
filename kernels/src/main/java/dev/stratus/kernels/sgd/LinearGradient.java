package dev.stratus.kernels.sgd;

import dev.stratus.ps.Optimizer;

/**
 * The gradient of a linear model's loss over a {@link Minibatch}, computed against the model values pulled for its
 * keys. This is the "compute gradient" step of every worker iteration; it allocates nothing but a K-class model's
 * per-row scratch of K margins.
 */
public final class LinearGradient {
  private LinearGradient() {}

  /**
   * Writes the mean gradient of {@code objective}'s loss over the batch into {@code gradient}, {@code
   * objective.columns()} values per key in key order, and returns the batch's summed loss at {@code weights} (free to
   * compute here, and what the worker reports as its training loss).
   *
   * @param weights model values aligned with {@link Minibatch#keyBuffer()}, as many per key, the biases last
   */
  public static double compute(LinearObjective objective, Minibatch batch, float[] weights, float[] gradient) {
    return compute(objective.loss(), objective.columns(), objective.hingeSmoothing(), batch, weights, gradient);
  }

  /** {@link #compute(LinearObjective, Minibatch, float[], float[])} for a binary model of {@code loss}. */
  public static double compute(LinearLoss loss, Minibatch batch, float[] weights, float[] gradient) {
    return compute(loss, 1, 0, batch, weights, gradient);
  }

  /**
   * One pass of AdaGrad over a {@link Minibatch#keyedCopy keyed} batch's rows, a row at a time, as a shard applies a
   * push of one row's gradient, computed at the weights a pull of its keys reads (as they were when a push last
   * touched them), to a model whose L2 penalty is every weight's at every push: each weight takes the penalties of the
   * steps it missed, lazily, as one proximal step at its rate now ({@link Optimizer#penalised}) when a row touches it,
   * then the row's gradient ({@link Optimizer#adagrad}).
   * {@code weights}, AdaGrad's {@code squares} and {@code penalisedAt}, the step each weight last took its penalty at,
   * are indexed by model key; {@code stepsBefore} rows were stepped before this batch's. Returns the rows' summed loss,
   * each row's taken before its own step. A binary model's alone.
   */
  public static double adagradPass(LinearObjective objective, Minibatch batch, float[] weights, float[] squares,
      int[] penalisedAt, int stepsBefore, float learningRate, float l2) {
    LinearLoss loss = binary(objective);
    int[] slots = batch.slotArray();
    float[] values = batch.valueArray();
    int bias = batch.biasSlot();
    double lossSum = 0;
    for (int r = 0; r < batch.rows(); r++) {
      int start = batch.rowStart(r);
      int end = batch.rowStart(r + 1);
      int step = stepsBefore + r + 1;
      double margin = weights[bias];
      for (int e = start; e < end; e++) {
        margin += weights[slots[e]] * values[e];
      }
      float label = batch.label(r);
      double tail = tail(loss, margin);
      lossSum += value(loss, objective.hingeSmoothing(), margin, label, tail);
      float residual = (float) slope(loss, objective.hingeSmoothing(), margin, label, tail);
      for (int e = start; e < end; e++) {
        adagradStep(weights, squares, penalisedAt, slots[e], step, residual * values[e], learningRate, l2);
      }
      adagradStep(weights, squares, penalisedAt, bias, step, residual, learningRate, l2);
    }
    return lossSum;
  }

  /** {@code objective}'s loss, refused unless a binary model's: a pass of SGD a row at a time takes one margin. */
  private static LinearLoss binary(LinearObjective objective) {
    if (objective.loss().multiclass()) {
      throw new IllegalArgumentException("a pass of SGD a row at a time is for a binary model, not " + objective);
    }
    return objective.loss();
  }

  /**
   * Weight {@code j} as a read of the whole model finds it after {@code steps} steps of {@link #adagradPass}: with the
   * penalties it has missed taken.
   */
  public static float penalised(float[] weights, float[] squares, int[] penalisedAt, int j, int steps,
      float learningRate, float l2) {
    int missed = steps - penalisedAt[j];
    return missed > 0 && l2 > 0
        ? Optimizer.ADAGRAD.penalised(weights, squares, j, learningRate, l2, missed)
        : weights[j];
  }

  /**
   * Step {@code step} (from 1) on weight {@code j}: its penalties up to it, then {@code gradient}. Without a penalty
   * there is nothing to take nor to keep track of, as a shard keeps no such steps for a model without one.
   */
  private static void adagradStep(float[] weights, float[] squares, int[] penalisedAt, int j, int step,
      float gradient, float learningRate, float l2) {
    if (l2 > 0) {
      int missed = Math.max(1, step - penalisedAt[j]);
      penalisedAt[j] = step;
      weights[j] = Optimizer.ADAGRAD.penalised(weights, squares, j, learningRate, l2, missed);
    }
    Optimizer.adagrad(weights, squares, j, gradient, learningRate, 0);
  }

  /**
   * Adds the summed (not mean) gradient of {@code objective}'s loss over a {@link Minibatch#keyedCopy keyed} batch's
   * rows into {@code gradient} and returns their summed loss: {@code weights} and {@code gradient} are indexed by model
   * key, {@code objective.columns()} values a key, so that passes over many batches read and sum into the same arrays.
   */
  public static double addSums(LinearObjective objective, Minibatch batch, float[] weights, float[] gradient) {
    return sum(objective.loss(), objective.columns(), objective.hingeSmoothing(), batch, weights, gradient, 1);
  }

  /** The mean gradient of a batch laid out by {@link Minibatch#fill}; the hinge smoothed over {@code hingeSmoothing}. */
  private static double compute(LinearLoss loss, int columns, double hingeSmoothing, Minibatch batch, float[] weights,
      float[] gradient) {
    if (!loss.multiclass() && batch.rows() == 1) {
      return computeOneRow(loss, hingeSmoothing, batch, weights, gradient);
    }
    java.util.Arrays.fill(gradient, 0, batch.keyCount() * columns, 0f);
    // the mean folded into each row's residual: no pass over the keys
    return sum(loss, columns, hingeSmoothing, batch, weights, gradient, 1.0 / batch.rows());
  }

  /** Adds the batch's gradient, each row's times {@code scale}, into {@code gradient}; returns the summed loss. */
  private static double sum(LinearLoss loss, int columns, double hingeSmoothing, Minibatch batch, float[] weights,
      float[] gradient, double scale) {
    return loss.multiclass()
        ? sumSoftmax(columns, batch, weights, gradient, scale)
        : sumBinary(loss, hingeSmoothing, batch, weights, gradient, scale);
  }

  /** A binary model's: one value per key. */
  private static double sumBinary(LinearLoss loss, double hingeSmoothing, Minibatch batch, float[] weights,
      float[] gradient, double scale) {
    // the batch's arrays in locals: Lambda's JIT (C1 alone) would load them from the batch at every entry
    int[] slots = batch.slotArray();
    float[] values = batch.valueArray();
    int bias = batch.biasSlot();
    double lossSum = 0;
    for (int r = 0; r < batch.rows(); r++) {
      int start = batch.rowStart(r);
      int end = batch.rowStart(r + 1);
      double margin = weights[bias];
      for (int e = start; e < end; e++) {
        margin += weights[slots[e]] * values[e];
      }
      float label = batch.label(r);
      double tail = tail(loss, margin);
      lossSum += value(loss, hingeSmoothing, margin, label, tail);
      double slope = slope(loss, hingeSmoothing, margin, label, tail);
      if (slope == 0) {
        continue; // a row the hinge no longer sees: it adds nothing
      }
      float residual = (float) (slope * scale);
      for (int e = start; e < end; e++) {
        gradient[slots[e]] += residual * values[e];
      }
      gradient[bias] += residual;
    }
    return lossSum;
  }

  /**
   * A batch of one row, the common case of SGD on one example at a time: its entries are its keys in order (slot
   * {@code e} is entry {@code e}), so each gradient value is written once, with no lookup, no zeroing and no mean.
   */
  private static double computeOneRow(LinearLoss loss, double hingeSmoothing, Minibatch batch, float[] weights,
      float[] gradient) {
    int entries = batch.rowStart(1);
    double margin = weights[entries];
    for (int e = 0; e < entries; e++) {
      margin += weights[e] * batch.value(e);
    }
    float label = batch.label(0);
    double tail = tail(loss, margin);
    float residual = (float) slope(loss, hingeSmoothing, margin, label, tail);
    for (int e = 0; e < entries; e++) {
      gradient[e] = residual * batch.value(e);
    }
    gradient[entries] = residual;
    return value(loss, hingeSmoothing, margin, label, tail);
  }

  // A row's loss and its derivative in the margin; logistic regression's both from one exponential, its tail.

  private static double tail(LinearLoss loss, double margin) {
    return loss == LinearLoss.LOGISTIC ? LinearLoss.tail(margin) : Double.NaN;
  }

  private static double value(LinearLoss loss, double hingeSmoothing, double margin, float label, double tail) {
    return switch (loss) {
      case LOGISTIC -> LinearLoss.logloss(margin, label, tail);
      case HINGE -> LinearLoss.smoothedHinge(margin, label, hingeSmoothing);
      default -> loss.value(margin, label);
    };
  }

  private static double slope(LinearLoss loss, double hingeSmoothing, double margin, float label, double tail) {
    return switch (loss) {
      case LOGISTIC -> LinearLoss.sigmoid(margin, tail) - label;
      case HINGE -> LinearLoss.smoothedHingeSlope(margin, label, hingeSmoothing);
      default -> loss.slope(margin, label);
    };
  }

  /**
   * Multinomial logistic regression: per row, the K margins, their softmax p, and the gradient {@code (p - onehot(y))
   * x} for each class's weights (a row's entries touch K values each), times {@code scale}.
   */
  private static double sumSoftmax(int classes, Minibatch batch, float[] weights, float[] gradient, double scale) {
    int biases = batch.biasSlot() * classes;
    double[] p = new double[classes];
    double lossSum = 0;
    for (int r = 0; r < batch.rows(); r++) {
      int start = batch.rowStart(r);
      int end = batch.rowStart(r + 1);
      for (int c = 0; c < classes; c++) {
        p[c] = weights[biases + c];
      }
      for (int e = start; e < end; e++) {
        int at = batch.slot(e) * classes;
        float x = batch.value(e);
        for (int c = 0; c < classes; c++) {
          p[c] += weights[at + c] * x;
        }
      }
      int label = LinearLoss.classOf(batch.label(r), classes);
      double labelMargin = p[label];
      lossSum += LinearLoss.softmaxInPlace(p, classes) - labelMargin;
      p[label] -= 1;
      for (int c = 0; c < classes; c++) {
        p[c] *= scale;
      }
      for (int e = start; e < end; e++) {
        int at = batch.slot(e) * classes;
        float x = batch.value(e);
        for (int c = 0; c < classes; c++) {
          gradient[at + c] += (float) (p[c] * x);
        }
      }
      for (int c = 0; c < classes; c++) {
        gradient[biases + c] += (float) p[c];
      }
    }
    return lossSum;
  }
}
