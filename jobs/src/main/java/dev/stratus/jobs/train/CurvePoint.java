package dev.stratus.jobs.train;

import java.io.Serializable;

/** One evaluation of the model on the validation set during training. */
public record CurvePoint(double seconds, long updates, double validationLogloss, double validationAuc)
    implements Serializable {}
