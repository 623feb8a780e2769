package dev.stratus.kernels.sgd;

/**
 * A regression's errors on a set of rows (a factorization's predicted ratings).
 *
 * @param loss the mean squared error, the loss the model is trained on
 * @param rmse its square root, in the ratings' own unit
 * @param mae the mean absolute error
 */
public record RegressionMetrics(long count, double loss, double rmse, double mae) implements ModelMetrics {
  /** The metrics of {@code count} errors whose squares sum to {@code squaredErrors} and magnitudes to {@code absolute}. */
  public static RegressionMetrics of(long count, double squaredErrors, double absoluteErrors) {
    if (count == 0) {
      return new RegressionMetrics(0, Double.NaN, Double.NaN, Double.NaN);
    }
    double mse = squaredErrors / count;
    return new RegressionMetrics(count, mse, Math.sqrt(mse), absoluteErrors / count);
  }

  @Override
  public String headline() {
    return String.format("RMSE %.4f", rmse);
  }
}
