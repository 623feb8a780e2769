package dev.stratus.dsl;

import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearObjective;
import dev.stratus.kernels.sgd.Objective;
import org.apache.beam.sdk.values.PCollection;

/**
 * Sparse logistic regression trained by asynchronous SGD on the parameter server, as every {@link SgdTraining}:
 * its model gives P(label = 1), and its loss, the one the monitor watches, is the log loss.
 *
 * <pre>{@code
 * PCollection<TrainResult> result =
 *     split.train().apply(LogisticRegression.withValidationSet(validation).workers(4).learningRate(0.05f));
 * }</pre>
 */
public final class LogisticRegression extends SgdTraining<LogisticRegression> {
  private LogisticRegression(PCollection<Dataset> validationSet) {
    super(validationSet);
  }

  /**
   * Trains on the input dataset and measures the loss on {@code validationSet} as it goes: the monitor stops on it and
   * keeps the model that did best on it. Use rows training never sees, and yet others to report the model's quality.
   */
  public static LogisticRegression withValidationSet(PCollection<Dataset> validationSet) {
    return new LogisticRegression(validationSet);
  }

  @Override
  Objective objective() {
    return LinearObjective.of(LinearLoss.LOGISTIC);
  }

  @Override
  LogisticRegression newTraining(PCollection<Dataset> validationSet) {
    return new LogisticRegression(validationSet);
  }
}
