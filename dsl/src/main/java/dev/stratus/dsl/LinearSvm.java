package dev.stratus.dsl;

import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearObjective;
import dev.stratus.kernels.sgd.Objective;
import org.apache.beam.sdk.values.PCollection;

/**
 * A sparse linear support vector machine trained on the parameter server as every {@link SgdTraining} is (by L-BFGS
 * where the workers hold its rows, else by asynchronous SGD; {@link #solver}): L2-regularised, on the squared hinge
 * loss by default (liblinear's L2-loss SVM, {@code -s 1/-s 2}) or the hinge loss ({@link #loss}, liblinear's {@code
 * -s 3}; L-BFGS descends it rounded off within a hundredth of a margin of its kink). Its model puts a row in
 * class 1 where the margin is positive and gives no probability; {@link Evaluate} reports its own loss, AUC and
 * accuracy.
 *
 * <pre>{@code
 * PCollection<TrainResult> result =
 *     split.train().apply(LinearSvm.withValidationSet(validation).workers(2).l2(1e-4f));
 * }</pre>
 */
public final class LinearSvm extends SgdTraining<LinearSvm> {
  private LinearLoss loss = LinearLoss.SQUARED_HINGE;

  private LinearSvm(PCollection<Dataset> validationSet) {
    super(validationSet);
  }

  /** Trains on the input dataset, the monitor watching the loss on {@code validationSet} (see LogisticRegression). */
  public static LinearSvm withValidationSet(PCollection<Dataset> validationSet) {
    return new LinearSvm(validationSet);
  }

  /** The SVM's loss: {@link LinearLoss#SQUARED_HINGE} (the default) or {@link LinearLoss#HINGE}. */
  public LinearSvm loss(LinearLoss svmLoss) {
    if (svmLoss != LinearLoss.HINGE && svmLoss != LinearLoss.SQUARED_HINGE) {
      throw new IllegalArgumentException(
          "LinearSvm's loss must be HINGE or SQUARED_HINGE, got " + svmLoss + " (LogisticRegression trains LOGISTIC)");
    }
    loss = svmLoss;
    return this;
  }

  @Override
  Objective objective() {
    return LinearObjective.of(loss);
  }

  @Override
  LinearSvm newTraining(PCollection<Dataset> validationSet) {
    return new LinearSvm(validationSet).loss(loss);
  }
}
