package dev.stratus.kernels.solve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.kernels.reference.Liblinear;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearObjective;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * The solver on objectives whose optimum is known: a badly conditioned quadratic (in closed form, with and without an
 * L1 penalty, whose optimum is soft thresholding), and logistic regression on a planted model against the model
 * liblinear solves exactly at the same C, in the objective both minimise.
 */
class LbfgsTest {
  private static final int N = 50;

  /** {@code 1/2 sum a_i (x_i - c_i)^2}, the curvatures a_i from 1 to 1,000. */
  private static double quadratic(double[] x, double[] gradient) {
    double value = 0;
    for (int i = 0; i < N; i++) {
      double d = x[i] - target(i);
      value += 0.5 * curvature(i) * d * d;
      gradient[i] = curvature(i) * d;
    }
    return value;
  }

  private static double curvature(int i) {
    return Math.pow(1000, i / (N - 1.0));
  }

  private static double target(int i) {
    return Math.sin(i + 1) * 3;
  }

  private static double[] solve(double l1, BiFunction<double[], double[], Double> objective, int dimensions) {
    return solve(new Lbfgs(new double[dimensions], l1, 1e-10), objective, dimensions);
  }

  private static double[] solve(Lbfgs solver, BiFunction<double[], double[], Double> objective, int dimensions) {
    evaluations = 0;
    while (!solver.converged()) {
      assertTrue(++evaluations < 500, "converges within 500 evaluations");
      double[] gradient = new double[dimensions];
      double value = objective.apply(solver.point(), gradient);
      solver.report(value, gradient);
    }
    return solver.iterate();
  }

  /**
   * The summed loss of every row of {@code batch} at {@code point}, a whole model ({@code features + 1} values), and
   * its summed gradient added into {@code gradientSum}: a pass without shards.
   */
  private static double addGradient(FullBatch batch, LinearObjective objective, double[] point,
      double[] gradientSum) {
    float[] weights = new float[point.length];
    for (int k = 0; k < point.length; k++) {
      weights[k] = (float) point[k];
    }
    float[] gradient = new float[weights.length];
    double loss = batch.addGradient(objective, weights, gradient);
    for (int k = 0; k < gradient.length; k++) {
      gradientSum[k] += gradient[k];
    }
    return loss;
  }

  /** The objective's evaluations the last {@link #solve} took. */
  private static int evaluations;

  /**
   * With the quadratic's diagonal as its curvature, the solver's first step is Newton's: it needs a few evaluations
   * where the identity's needs tens; and it finds the same minimum, an L1 penalty's included.
   */
  @Test
  void aDiagonalCurvatureTakesFewerEvaluationsToTheSameMinimum() {
    double[] plain = solve(0, LbfgsTest::quadratic, N);
    int plainEvaluations = evaluations;
    double[] curvature = new double[N];
    for (int i = 0; i < N; i++) {
      curvature[i] = curvature(i);
    }
    double[] preconditioned = solve(new Lbfgs(new double[N], 0, 1e-10, curvature), LbfgsTest::quadratic, N);
    System.out.printf("evaluations: %d with the diagonal, %d without%n", evaluations, plainEvaluations);
    assertTrue(evaluations * 3 < plainEvaluations, evaluations + " evaluations against " + plainEvaluations);
    for (int i = 0; i < N; i++) {
      assertEquals(plain[i], preconditioned[i], 1e-3 * Math.max(1, Math.abs(plain[i])), "x[" + i + "]");
    }
    double[] sparse = solve(new Lbfgs(new double[N], 2, 1e-10, curvature), LbfgsTest::quadratic, N);
    for (int i = 0; i < N; i++) {
      double c = target(i);
      assertEquals(Math.signum(c) * Math.max(0, Math.abs(c) - 2 / curvature(i)), sparse[i], 1e-3, "x[" + i + "]");
    }
  }

  /**
   * A search converged loosely and taken up again at a tight tolerance keeps its memory of the curvature: it reaches
   * the minimum in fewer evaluations than a new search from the same point, which starts from the steepest descent.
   */
  @Test
  void aLooseSearchContinuedToATightToleranceNeedsFewerEvaluationsThanANewOne() {
    Lbfgs loose = new Lbfgs(new double[N], 0, 1e-3);
    solve(loose, LbfgsTest::quadratic, N);
    double[] looseIterate = loose.iterate().clone();
    assertTrue(loose.continueTo(1e-10), "a search converged at its tolerance has more to do at a tighter one");
    double[] continued = solve(loose, LbfgsTest::quadratic, N);
    int continuedEvaluations = evaluations;
    double[] restarted = solve(new Lbfgs(looseIterate, 0, 1e-10), LbfgsTest::quadratic, N);
    System.out.printf("from the loose iterate: %d evaluations continued, %d restarted%n", continuedEvaluations,
        evaluations);
    assertTrue(continuedEvaluations < evaluations, continuedEvaluations + " evaluations against " + evaluations);
    for (int i = 0; i < N; i++) {
      assertEquals(target(i), continued[i], 1e-3, "x[" + i + "]");
      assertEquals(target(i), restarted[i], 1e-3, "x[" + i + "]");
    }
  }

  @Test
  void findsAQuadraticsMinimumHoweverBadlyConditioned() {
    double[] x = solve(0, LbfgsTest::quadratic, N);
    for (int i = 0; i < N; i++) {
      assertEquals(target(i), x[i], 1e-3 * Math.max(1, Math.abs(target(i))), "x[" + i + "]");
    }
  }

  @Test
  void anL1PenaltyThresholdsToExactZeros() {
    double l1 = 2;
    double[] x = solve(l1, LbfgsTest::quadratic, N);
    int zeros = 0;
    for (int i = 0; i < N; i++) {
      double c = target(i);
      double expected = Math.signum(c) * Math.max(0, Math.abs(c) - l1 / curvature(i));
      if (expected == 0) {
        assertEquals(0.0, x[i], "x[" + i + "] is exactly zero where the penalty outweighs the pull");
        zeros++;
      } else {
        assertEquals(expected, x[i], 1e-3 * Math.max(1, Math.abs(expected)), "x[" + i + "]");
      }
    }
    assertTrue(zeros > 0, "the example has values the penalty zeroes");
  }

  @Test
  void logisticRegressionReachesLiblinearsOptimumAtTheSameC() throws Exception {
    PlantedData data = new PlantedData(300, 6_000, 1_000, 11);
    SparseRow[] rows = data.train.toArray(new SparseRow[0]);
    double c = 1;
    double l2 = 1 / (c * rows.length);
    LinearObjective logistic = LinearObjective.of(LinearLoss.LOGISTIC);
    FullBatch batch = FullBatch.of(rows, data.features);
    int dimensions = data.features + 1;
    BiFunction<double[], double[], Double> objective = (x, gradient) -> {
      double loss = addGradient(batch, logistic, x, gradient);
      double squares = 0;
      for (int i = 0; i < dimensions; i++) {
        gradient[i] = gradient[i] / rows.length + l2 * x[i];
        squares += x[i] * x[i];
      }
      return loss / rows.length + l2 / 2 * squares;
    };
    double ours = objective.apply(solve(0, objective, dimensions), new double[dimensions]);
    int plainEvaluations = evaluations;
    float[] squares = new float[dimensions];
    batch.addSquares(squares);
    double[] curvature = new double[dimensions];
    java.util.Arrays.fill(curvature, l2);
    for (int k = 0; k < squares.length; k++) {
      curvature[k] += LinearLoss.LOGISTIC.curvatureBound() * squares[k] / rows.length;
    }
    double preconditioned = objective.apply(
        solve(new Lbfgs(new double[dimensions], 0, 1e-10, curvature), objective, dimensions), new double[dimensions]);
    float[] exact = Liblinear.bestOf(data.train, data.test, c).model().weights();
    double[] exactPoint = new double[dimensions];
    for (int i = 0; i < dimensions; i++) {
      exactPoint[i] = exact[i];
    }
    double optimum = objective.apply(exactPoint, new double[dimensions]);
    System.out.printf("logistic: %.6f in %d evaluations, preconditioned %.6f in %d, liblinear %.6f%n", ours,
        plainEvaluations, preconditioned, evaluations, optimum);
    assertTrue(ours <= optimum * (1 + 1e-4), "objective " + ours + " against liblinear's " + optimum);
    assertTrue(preconditioned <= optimum * (1 + 1e-4), "objective " + preconditioned + " against " + optimum);
  }
}
