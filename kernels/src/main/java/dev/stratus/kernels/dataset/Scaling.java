package dev.stratus.kernels.dataset;

import java.io.Serializable;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.SerializableCoder;

/**
 * How a dataset's values were scaled: the method and the statistics it used, so the same scaling can be applied to
 * another dataset (a test set takes its training set's statistics).
 *
 * @param method the scaling method
 * @param statistics the statistics used, an object of this dataset; null when they no longer match its features
 * @param statisticsOf location of the dataset the statistics were computed over
 */
@DefaultCoder(SerializableCoder.class)
public record Scaling(ScalingMethod method, StatisticsRef statistics, String statisticsOf) implements Serializable {}
