package dev.stratus.kernels.solve;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Limited-memory BFGS on a smooth objective, with an optional L1 penalty on every value (then OWL-QN, Andrew and Gao's
 * orthant-wise form), written as a state machine so that the objective can be anything slow: the caller evaluates the
 * smooth part's value and gradient at {@link #point()} (a round of distributed workers, say), {@link #report}s them,
 * and the solver answers with what it made of it and the next point to evaluate, a trial of its line search or the
 * first of the next direction, until it has converged.
 *
 * <p>Points are float-valued (each coordinate a double that is exactly a float), because the values the objective is
 * evaluated at travel as floats: the iterate is exactly what was evaluated.
 *
 * <pre>{@code
 * Lbfgs solver = new Lbfgs(new double[n], 0.0);
 * while (!solver.converged()) {
 *   double[] x = solver.point();
 *   solver.report(f(x), gradient(x));
 * }
 * double[] optimum = solver.iterate();
 * }</pre>
 */
public final class Lbfgs {
  /** Correction pairs kept: ten is the usual, more buys little on the models this trains. */
  private static final int MEMORY = 10;
  /** The Armijo condition's share of the predicted decrease a step must achieve. */
  private static final double SUFFICIENT_DECREASE = 1e-4;
  /** Trials of one line search before the solver takes the direction for exhausted: converged at its precision. */
  private static final int MAX_TRIALS = 12;
  /** Accepted steps in a row that must each gain less than the tolerance: one short step may be the line's fault. */
  private static final int FLAT_STEPS = 2;

  /** What a report did. */
  public enum Outcome {
    /** The first point's value: the search begins. */
    STARTED,
    /** The point became the iterate; the next point starts a new line search. */
    ACCEPTED,
    /** The point did not decrease the objective enough; the next point is a shorter step on the same line. */
    REJECTED,
    /** No further progress at the objective's precision: {@link #iterate} is the answer. */
    CONVERGED
  }

  private final int n;
  private final double l1;
  private double tolerance;
  /** The inverse of a diagonal estimate of the curvature, the initial Hessian's shape; null for the identity. */
  private final double[] inverseCurvature;
  private final Deque<float[]> steps = new ArrayDeque<>();
  private final Deque<float[]> gradientChanges = new ArrayDeque<>();
  private final Deque<Double> curvatures = new ArrayDeque<>();

  private double[] x;
  /** The objective at {@link #x}, the L1 penalty included. */
  private double value = Double.NaN;
  private double[] gradient;
  /** The gradient of the whole objective where it has one, and the steepest descent's in an orthant where not. */
  private double[] pseudoGradient;
  private double[] direction;
  private double[] trial;
  private double step;
  private int trials;
  private int flatSteps;
  private boolean converged;
  /** Converged because a line search ran out of trials: the objective's precision, not the tolerance, stopped it. */
  private boolean exhausted;

  /**
   * @param start where the search starts (rounded to floats)
   * @param l1 the L1 penalty on every value, {@code l1 * |x|_1} added to the reported objective; 0 for none
   * @param tolerance converged once {@value #FLAT_STEPS} accepted steps in a row each decrease the objective by less
   *     than this share of it
   */
  public Lbfgs(double[] start, double l1, double tolerance) {
    this(start, l1, tolerance, null);
  }

  /**
   * A search preconditioned by {@code curvature}, a positive estimate of the objective's second derivative in each
   * coordinate (for a linear model, the loss's bound times each feature's mean square, plus the L2 penalty): the
   * initial Hessian of each direction is its diagonal, scaled by the last step's curvature, rather than a multiple of
   * the identity. Features whose scales differ by orders of magnitude (hashed one-hot features, rare and frequent)
   * then take steps of their own sizes.
   */
  public Lbfgs(double[] start, double l1, double tolerance, double[] curvature) {
    if (!(l1 >= 0) || !(tolerance > 0)) {
      throw new IllegalArgumentException("need l1 >= 0 and tolerance > 0, got " + l1 + " and " + tolerance);
    }
    this.n = start.length;
    this.l1 = l1;
    this.tolerance = tolerance;
    if (curvature != null) {
      if (curvature.length != n) {
        throw new IllegalArgumentException("a curvature of " + curvature.length + " values for " + n + " coordinates");
      }
      inverseCurvature = new double[n];
      for (int i = 0; i < n; i++) {
        if (!(curvature[i] > 0) || Double.isInfinite(curvature[i])) {
          throw new IllegalArgumentException("curvature[" + i + "] must be positive and finite, got " + curvature[i]);
        }
        inverseCurvature[i] = 1 / curvature[i];
      }
    } else {
      inverseCurvature = null;
    }
    this.trial = new double[n];
    for (int i = 0; i < n; i++) {
      trial[i] = (float) start[i];
    }
  }

  /** Where to evaluate the objective next. */
  public double[] point() {
    return trial;
  }

  /** The best point so far. */
  public double[] iterate() {
    return x;
  }

  /** The objective at {@link #iterate}, the L1 penalty included. */
  public double value() {
    return value;
  }

  public boolean converged() {
    return converged;
  }

  /**
   * Takes up a search that converged at its tolerance again at the smaller {@code tolerance}, from its iterate and
   * with its memory of the curvature, which a new search from the same point would have to build again; returns
   * whether there is more to do (not when the search stopped at the objective's precision, or at a zero gradient).
   */
  public boolean continueTo(double tolerance) {
    if (!(tolerance > 0 && tolerance < this.tolerance)) {
      throw new IllegalArgumentException("need a tolerance in (0, " + this.tolerance + "), got " + tolerance);
    }
    if (!converged || exhausted || x == null) {
      return !converged;
    }
    this.tolerance = tolerance;
    converged = false;
    flatSteps = 0;
    return nextDirection(false);
  }

  /**
   * Takes the smooth part's {@code smoothValue} and {@code smoothGradient} (kept, not copied) at {@link #point()}, and
   * moves on.
   */
  public Outcome report(double smoothValue, double[] smoothGradient) {
    if (converged) {
      throw new IllegalStateException("the solver has converged: nothing is left to evaluate");
    }
    double trialValue = smoothValue + l1 * norm1(trial);
    if (x == null) {
      accept(trialValue, smoothGradient);
      return nextDirection(true) ? Outcome.STARTED : Outcome.CONVERGED;
    }
    double predicted = 0; // the first-order model's change from the iterate to the trial, the pseudo-gradient's
    for (int i = 0; i < n; i++) {
      predicted += pseudoGradient[i] * (trial[i] - x[i]);
    }
    if (Double.isFinite(trialValue) && trialValue <= value + SUFFICIENT_DECREASE * predicted) {
      double before = value;
      remember(trial, smoothGradient);
      accept(trialValue, smoothGradient);
      flatSteps = before - value <= tolerance * Math.max(Math.abs(value), 1e-12) ? flatSteps + 1 : 0;
      if (flatSteps == FLAT_STEPS) {
        converged = true;
        return Outcome.CONVERGED;
      }
      return nextDirection(false) ? Outcome.ACCEPTED : Outcome.CONVERGED;
    }
    if (++trials >= MAX_TRIALS) {
      converged = true;
      exhausted = true;
      return Outcome.CONVERGED;
    }
    // the quadratic through the iterate's value, its slope along the line and the trial's value, kept within a tenth
    // and a half of the step that failed
    double slope = predicted / step;
    double fitted = Double.isFinite(trialValue)
        ? -slope * step * step / (2 * (trialValue - value - slope * step))
        : 0;
    step = Math.min(0.5 * step, Math.max(0.1 * step, fitted));
    placeTrial();
    return Outcome.REJECTED;
  }

  private void accept(double trialValue, double[] smoothGradient) {
    x = trial.clone();
    value = trialValue;
    gradient = smoothGradient;
    pseudoGradient = pseudoGradient(x, gradient);
  }

  /** Keeps the step to {@code next} and its gradient's change, if the curvature along it is positive. */
  private void remember(double[] next, double[] nextGradient) {
    float[] s = new float[n];
    float[] y = new float[n];
    double sy = 0;
    double yy = 0;
    for (int i = 0; i < n; i++) {
      s[i] = (float) (next[i] - x[i]);
      y[i] = (float) (nextGradient[i] - gradient[i]);
      sy += (double) s[i] * y[i];
      yy += (double) y[i] * y[i];
    }
    if (sy <= 1e-12 * yy || yy == 0) {
      return; // no positive curvature along this step (a flat or a noisy one): it would spoil the estimate
    }
    if (steps.size() == MEMORY) {
      steps.removeFirst();
      gradientChanges.removeFirst();
      curvatures.removeFirst();
    }
    steps.addLast(s);
    gradientChanges.addLast(y);
    curvatures.addLast(sy);
  }

  /**
   * The next line's direction and first trial; false when there is nowhere left to go (a zero pseudo-gradient).
   *
   * @param first the search's first direction, which has no curvature to scale it: its first step is one unit long
   */
  private boolean nextDirection(boolean first) {
    double[] q = pseudoGradient.clone();
    if (norm2(q) == 0) {
      converged = true;
      return false;
    }
    int m = steps.size();
    double[] alpha = new double[m];
    float[][] s = steps.toArray(new float[0][]);
    float[][] y = gradientChanges.toArray(new float[0][]);
    Double[] sy = curvatures.toArray(new Double[0]);
    // each step's update of q is fused with the next step's dot product over it: one pass over q a step, not two
    double next = m > 0 ? dot(s[m - 1], q) : 0;
    for (int k = m - 1; k >= 0; k--) {
      alpha[k] = next / sy[k];
      next = axpyThenDot(-alpha[k], y[k], q, k > 0 ? s[k - 1] : null);
    }
    if (m > 0) {
      double yhy = 0; // the last gradient change in the initial Hessian's inverse's norm
      for (int i = 0; i < n; i++) {
        double v = y[m - 1][i];
        yhy += v * v * (inverseCurvature == null ? 1 : inverseCurvature[i]);
      }
      scale(q, sy[m - 1] / yhy);
    }
    if (inverseCurvature != null) {
      for (int i = 0; i < n; i++) {
        q[i] *= inverseCurvature[i];
      }
    }
    next = m > 0 ? dot(y[0], q) : 0;
    for (int k = 0; k < m; k++) {
      double beta = next / sy[k];
      next = axpyThenDot(alpha[k] - beta, s[k], q, k + 1 < m ? y[k + 1] : null);
    }
    direction = q;
    double descent = 0;
    for (int i = 0; i < n; i++) {
      direction[i] = -direction[i];
      if (l1 > 0 && direction[i] * pseudoGradient[i] >= 0) {
        direction[i] = 0; // OWL-QN: only where the steepest descent goes too
      }
      descent += direction[i] * pseudoGradient[i];
    }
    if (!(descent < 0)) {
      // the estimate went bad (rounding over many steps): forget it and go down the steepest descent
      steps.clear();
      gradientChanges.clear();
      curvatures.clear();
      for (int i = 0; i < n; i++) {
        direction[i] = -pseudoGradient[i] * (inverseCurvature == null ? 1 : inverseCurvature[i]);
      }
      first = true;
    }
    // a first direction without curvature is one unit long; with, it is the diagonal's Newton step, which a bound
    // on the curvature keeps short of the minimum
    step = first && inverseCurvature == null ? 1 / norm2(direction) : 1;
    trials = 0;
    placeTrial();
    return true;
  }

  /** The trial at the step along the direction, kept in the iterate's orthant with an L1 penalty, as floats. */
  private void placeTrial() {
    trial = new double[n];
    for (int i = 0; i < n; i++) {
      double t = x[i] + step * direction[i];
      if (l1 > 0) {
        double orthant = x[i] != 0 ? Math.signum(x[i]) : -Math.signum(pseudoGradient[i]);
        if (Math.signum(t) != orthant) {
          t = 0;
        }
      }
      trial[i] = (float) t;
    }
  }

  /**
   * The objective's gradient where the L1 penalty is differentiable; at a zero value, the one-sided slope toward which
   * the objective falls, or 0 where it rises both ways (the L1 optimum holds it at zero).
   */
  private double[] pseudoGradient(double[] at, double[] smooth) {
    if (l1 == 0) {
      return smooth;
    }
    double[] pg = new double[n];
    for (int i = 0; i < n; i++) {
      double g = smooth[i];
      if (at[i] > 0) {
        pg[i] = g + l1;
      } else if (at[i] < 0) {
        pg[i] = g - l1;
      } else if (g + l1 < 0) {
        pg[i] = g + l1;
      } else if (g - l1 > 0) {
        pg[i] = g - l1;
      }
    }
    return pg;
  }

  /**
   * The dot product, summed in four lanes: one running sum is a chain of dependent additions the JIT may not reorder,
   * four keep the floating-point units busy.
   */
  private static double dot(float[] a, double[] b) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = 0;
    for (; i + 3 < a.length; i += 4) {
      s0 += a[i] * b[i];
      s1 += a[i + 1] * b[i + 1];
      s2 += a[i + 2] * b[i + 2];
      s3 += a[i + 3] * b[i + 3];
    }
    for (; i < a.length; i++) {
      s0 += a[i] * b[i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  /**
   * Adds {@code a} times {@code x} to {@code y}, and returns the dot product of {@code next} with the updated {@code
   * y} (0 when {@code next} is null), in the same pass over {@code y}.
   */
  private static double axpyThenDot(double a, float[] x, double[] y, float[] next) {
    if (next == null) {
      for (int i = 0; i < y.length; i++) {
        y[i] += a * x[i];
      }
      return 0;
    }
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = 0;
    for (; i + 3 < y.length; i += 4) {
      double y0 = y[i] + a * x[i];
      double y1 = y[i + 1] + a * x[i + 1];
      double y2 = y[i + 2] + a * x[i + 2];
      double y3 = y[i + 3] + a * x[i + 3];
      y[i] = y0;
      y[i + 1] = y1;
      y[i + 2] = y2;
      y[i + 3] = y3;
      s0 += next[i] * y0;
      s1 += next[i + 1] * y1;
      s2 += next[i + 2] * y2;
      s3 += next[i + 3] * y3;
    }
    for (; i < y.length; i++) {
      y[i] += a * x[i];
      s0 += next[i] * y[i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  private static void scale(double[] v, double by) {
    for (int i = 0; i < v.length; i++) {
      v[i] *= by;
    }
  }

  private static double norm2(double[] v) {
    double sum = 0;
    for (double e : v) {
      sum += e * e;
    }
    return Math.sqrt(sum);
  }

  private static double norm1(double[] v) {
    double sum = 0;
    for (double e : v) {
      sum += Math.abs(e);
    }
    return sum;
  }
}
