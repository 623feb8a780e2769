package dev.stratus.dsl;

import java.io.Serializable;

/** A model's score for one row: P(label = 1), beside the row's true label. */
public record Prediction(float label, double probability) implements Serializable {}
