package dev.stratus.dsl;

import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearObjective;
import dev.stratus.kernels.sgd.Objective;
import org.apache.beam.sdk.values.PCollection;

/**
 * Multinomial (softmax) logistic regression over K classes, trained by asynchronous SGD on the parameter server as
 * every {@link SgdTraining}: each feature's row on the shards holds K weights, one per class, and a minibatch's pull
 * and push carry K values per key. Labels are the classes 0 to K - 1 (load text with {@code classes(K)} so that a row
 * outside them is named by file and line). The model gives each class's probability as the softmax of its K margins
 * and predicts the most likely; its loss, the one the monitor watches, is the multinomial log loss. {@link Evaluate}
 * reports that loss, the accuracy and the confusion matrix.
 *
 * <pre>{@code
 * PCollection<TrainResult> result =
 *     split.train().apply(MultinomialLogisticRegression.withValidationSet(validation).classes(10).workers(2));
 * }</pre>
 */
public final class MultinomialLogisticRegression extends SgdTraining<MultinomialLogisticRegression> {
  /** Up to a million classes; the model's size, (features + 1) x classes floats, is checked when it is created. */
  private static final int MAX_CLASSES = 1_000_000;

  private int classes;

  private MultinomialLogisticRegression(PCollection<Dataset> validationSet) {
    super(validationSet);
  }

  /** Trains on the input dataset, the monitor watching the loss on {@code validationSet} (see LogisticRegression). */
  public static MultinomialLogisticRegression withValidationSet(PCollection<Dataset> validationSet) {
    return new MultinomialLogisticRegression(validationSet);
  }

  /** The number of classes K (2 to 1,000,000), which every training needs: the labels are 0 to K - 1. */
  public MultinomialLogisticRegression classes(int count) {
    classes = Checks.inRange("classes", count, 2, MAX_CLASSES);
    return this;
  }

  @Override
  Objective objective() {
    if (classes == 0) {
      throw new IllegalArgumentException("MultinomialLogisticRegression needs the number of classes: classes(K), the"
          + " labels being 0 to K - 1");
    }
    return new LinearObjective(LinearLoss.MULTINOMIAL, classes);
  }

  @Override
  MultinomialLogisticRegression newTraining(PCollection<Dataset> validationSet) {
    MultinomialLogisticRegression training = new MultinomialLogisticRegression(validationSet);
    training.classes = classes;
    return training;
  }
}
