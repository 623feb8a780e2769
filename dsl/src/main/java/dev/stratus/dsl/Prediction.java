package dev.stratus.dsl;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearModel;
import java.io.Serializable;

/**
 * A model's score for one row, beside the row's true label.
 *
 * @param predicted the class the model gives the row: for a binary model 1 where the margin is positive, else 0; for K
 *     classes the one of the largest margin
 * @param classes the model's classes: 2 for a binary model
 * @param margin a binary model's {@code w.x + b}; for K classes the predicted class's margin
 * @param probability P(label = 1) for logistic regression, P(predicted class) for K classes; NaN for a linear SVM,
 *     which gives none
 * @param loss the row's loss under the model's own loss (log loss, hinge, squared hinge, multinomial log loss)
 */
public record Prediction(float label, int predicted, int classes, double margin, double probability, double loss)
    implements Serializable {
  /** {@code model}'s prediction for {@code row}. */
  public static Prediction of(LinearModel model, SparseRow row) {
    int columns = model.columns();
    double[] margins = new double[columns];
    model.margins(row, margins);
    int predicted = model.predictedClass(margins);
    double loss = model.loss().value(margins, columns, row.label());
    if (columns == 1) {
      return new Prediction(row.label(), predicted, 2, margins[0], model.probability(margins[0]), loss);
    }
    double margin = margins[predicted];
    LinearLoss.softmaxInPlace(margins, columns);
    return new Prediction(row.label(), predicted, model.classes(), margin, margins[predicted], loss);
  }
}
