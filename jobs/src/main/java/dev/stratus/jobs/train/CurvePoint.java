package dev.stratus.jobs.train;

import java.io.Serializable;

/**
 * One evaluation of the model during training: on the validation set the monitor judges, and on the test set when the
 * training was given one for its curve ({@code TrainingDriver.testCurveOn}).
 *
 * @param testLoss the loss on the test curve's rows, NaN without them; nothing stops or chooses by it
 */
public record CurvePoint(double seconds, long updates, double validationLoss, double validationAuc,
    double testLoss) implements Serializable {}
