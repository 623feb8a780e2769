package dev.stratus.transforms.train;

import java.io.Serializable;

/** One evaluation of the model on the test set during training. */
public record CurvePoint(double seconds, long updates, double testLogloss, double testAuc) implements Serializable {}
