package dev.stratus.kernels.sgd;

/**
 * A linear model of {@code loss}: logistic regression, a linear SVM, or multinomial logistic regression over {@code
 * classes} classes (2 for the binary losses).
 */
public record LinearObjective(LinearLoss loss, int classes) implements Objective {
  public LinearObjective {
    if (loss == null) {
      throw new IllegalArgumentException("a linear model needs a loss");
    }
    if (classes < 2 || (!loss.multiclass() && classes != 2)) {
      throw new IllegalArgumentException(loss + " trains " + (loss.multiclass() ? "2 classes or more" : "2 classes")
          + ", got " + classes);
    }
  }

  /** A binary model of {@code loss}. */
  public static LinearObjective of(LinearLoss loss) {
    return new LinearObjective(loss, 2);
  }

  @Override
  public int columns() {
    return loss.columns(classes);
  }

  @Override
  public boolean penalisesAllValues() {
    return true;
  }

  @Override
  public float initScale() {
    return 0;
  }

  @Override
  public String lossName() {
    return loss.displayName();
  }

  @Override
  public double gradient(Minibatch batch, float[] weights, float[] gradient) {
    return LinearGradient.compute(loss, classes, batch, weights, gradient);
  }

  @Override
  public LinearModel model(float[] weights) {
    return new LinearModel(weights, loss, classes);
  }
}
