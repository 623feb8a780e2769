package dev.stratus.kernels.sgd;

/**
 * A linear model of {@code loss}: logistic regression, a linear SVM, or multinomial logistic regression over {@code
 * classes} classes (2 for the binary losses). A hinge SVM's gradients may descend the hinge smoothed over {@code
 * hingeSmoothing} ({@link LinearLoss#smoothedHinge}; 0 for the hinge itself), as a quasi-Newton solver needs; its
 * model is scored in the hinge all the same.
 */
public record LinearObjective(LinearLoss loss, int classes, double hingeSmoothing) implements Objective {
  /**
   * The smoothing of the hinge a quasi-Newton solver descends ({@link #smooth}): its optimum's hinge objective is
   * within half of it of the hinge's own optimum, and came within 0.05% on {@code LinearSvmTest}'s rows (0.2% at 0.1,
   * 0.03% at 0.005, in as many passes).
   */
  public static final double QUASI_NEWTON_HINGE_SMOOTHING = 0.01;

  public LinearObjective {
    if (loss == null) {
      throw new IllegalArgumentException("a linear model needs a loss");
    }
    if (classes < 2 || (!loss.multiclass() && classes != 2)) {
      throw new IllegalArgumentException(loss + " trains " + (loss.multiclass() ? "2 classes or more" : "2 classes")
          + ", got " + classes);
    }
    if (!(hingeSmoothing >= 0) || hingeSmoothing > 0 && loss != LinearLoss.HINGE) {
      throw new IllegalArgumentException("only the hinge is smoothed, by a width of 0 or more; got " + hingeSmoothing
          + " for " + loss);
    }
  }

  /** A model of {@code loss} over {@code classes} classes, its gradients the loss's own. */
  public LinearObjective(LinearLoss loss, int classes) {
    this(loss, classes, 0);
  }

  /** A binary model of {@code loss}. */
  public static LinearObjective of(LinearLoss loss) {
    return new LinearObjective(loss, 2);
  }

  /**
   * The objective a quasi-Newton solver descends for this model: itself for a smooth loss, the hinge smoothed over
   * {@link #QUASI_NEWTON_HINGE_SMOOTHING} for the hinge.
   */
  public LinearObjective smooth() {
    return loss.smooth() || hingeSmoothing > 0
        ? this
        : new LinearObjective(loss, classes, QUASI_NEWTON_HINGE_SMOOTHING);
  }

  /**
   * A row's loss's second derivative in its margin, as a quasi-Newton solver's preconditioner scales each weight's
   * curvature by (times its feature's mean square): the loss's bound for a smooth loss ({@link
   * LinearLoss#curvatureBound}), and for the smoothed hinge the squared hinge's 2 rather than its bound, {@code 1 /
   * width}, which only rows within that width of the margin reach. With the bound, the first penalty's solve on the
   * models benchmark's Criteo-shaped rows took 14.8 s, with 2 it took 7.9 s.
   */
  public double curvatureScale() {
    return hingeSmoothing > 0 ? 2 : loss.curvatureBound();
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
    return LinearGradient.compute(this, batch, weights, gradient);
  }

  @Override
  public LinearModel model(float[] weights) {
    return new LinearModel(weights, loss, classes);
  }
}
