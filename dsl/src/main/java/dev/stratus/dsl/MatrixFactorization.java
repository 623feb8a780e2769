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
   * Ratings a push carries, five times a linear model's: a minibatch's ratings mostly touch rows no other rating of it
   * touches, so under AdaGrad (whose steps do not change when every gradient is scaled alike) a larger one moves each
   * row about as a smaller one would, at a fraction of the round trips. Against 20, 100 trained twice the ratings a
   * second on two Lambda workers, and a sparse factorization (36 ratings a user) came within 0.4% of alternating
   * least squares in 30 s where 20 was still 1.6% above it.
   */
  private static final int DEFAULT_MINIBATCH = 100;
  /**
   * Each push puts {@code l2} times a touched row into its gradient, beside the batch's mean error gradient, in which
   * one rating of a user counts a minibatch's share: 0.0004 over minibatches of 100 is the 0.04 per rating of
   * classic SGD factorizations.
   */
  private static final float DEFAULT_L2 = 0.04f / DEFAULT_MINIBATCH;
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
    minibatchSize(DEFAULT_MINIBATCH);
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
