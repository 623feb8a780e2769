package dev.stratus.dsl;

import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.sgd.FactorObjective;
import dev.stratus.kernels.sgd.Objective;
import org.apache.beam.sdk.values.PCollection;

/**
 * Matrix factorization of ratings ({@link LoadRatings}' datasets: a row per rating, its user's and its item's
 * feature) trained by asynchronous SGD on the parameter server as every {@link SgdTraining}: each user and each item
 * has a row of {@link #rank} factors and a bias on the shards, starting small and random, and a minibatch's pull and
 * push carry the rows of the users and items it rates. A rating is predicted as the training ratings' mean plus a
 * learnt offset, the user's and the item's biases and their factors' dot product; the loss, the one the monitor
 * watches, is the squared error. {@link EvaluateRatings} reports RMSE and MAE on held-out ratings.
 *
 * <pre>{@code
 * PCollection<TrainResult> model =
 *     split.train().apply(MatrixFactorization.withValidationSet(validation).rank(16).workers(2));
 * PCollection<RegressionMetrics> rmse = test.apply(EvaluateRatings.with(model));
 * }</pre>
 */
public final class MatrixFactorization extends SgdTraining<MatrixFactorization> {
  /**
   * Each push puts {@code l2} times a touched row into its gradient, beside the batch's mean error gradient, in which
   * one rating of a user counts a minibatch's share: 0.002 over minibatches of 20 is the 0.04 per rating of
   * classic SGD factorizations.
   */
  private static final float DEFAULT_L2 = 0.002f;
  /**
   * AdaGrad's rate, five times a linear model's: factors start near zero, where every product's gradient is small, and
   * AdaGrad's steps shrink with every gradient taken; at 0.1 a sparse factorization (36 ratings a user) was still 17%
   * above alternating least squares after 60 s.
   */
  private static final float DEFAULT_LEARNING_RATE = 0.5f;

  private int rank = 10;

  private MatrixFactorization(PCollection<Dataset> validationSet) {
    super(validationSet);
    l2(DEFAULT_L2);
    learningRate(DEFAULT_LEARNING_RATE);
  }

  /** Trains on the input ratings, the monitor watching the squared error on {@code validationSet}'s ratings. */
  public static MatrixFactorization withValidationSet(PCollection<Dataset> validationSet) {
    return new MatrixFactorization(validationSet);
  }

  /** Factors per user and per item (1 to 1,024; default 10). */
  public MatrixFactorization rank(int factors) {
    rank = Checks.inRange("rank", factors, 1, 1024);
    return this;
  }

  @Override
  Objective objective() {
    return FactorObjective.ofRank(rank);
  }

  @Override
  MatrixFactorization newTraining(PCollection<Dataset> validationSet) {
    return new MatrixFactorization(validationSet).rank(rank);
  }
}
