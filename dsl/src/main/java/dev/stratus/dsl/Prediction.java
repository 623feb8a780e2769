package dev.stratus.dsl;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.LinearModel;
import java.io.Serializable;

/**
 * A model's score for one row, beside the row's true label.
 *
 * @param margin {@code w.x + b}: the model puts the row in class 1 where it is positive
 * @param probability P(label = 1) for logistic regression; NaN for a linear SVM, which gives none
 * @param loss the row's loss under the model's own loss (log loss, hinge or squared hinge)
 */
public record Prediction(float label, double margin, double probability, double loss) implements Serializable {
  /** {@code model}'s prediction for {@code row}. */
  public static Prediction of(LinearModel model, SparseRow row) {
    double margin = model.margin(row);
    return new Prediction(row.label(), margin, model.probability(margin), model.loss().value(margin, row.label()));
  }

  /** The class the model gives the row: 1 where the margin is positive, else 0. */
  public float predictedLabel() {
    return margin >= 0 ? 1f : 0f;
  }
}
