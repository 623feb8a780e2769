package dev.stratus.kernels.dataset;

import java.io.Serializable;

/**
 * The per-feature statistics object of a dataset ({@link FeatureStatistics}), kept beside the manifest rather than in
 * it: for a hashed feature space it holds hundreds of thousands of features, and the manifest travels with every
 * {@link Dataset} element.
 *
 * @param name object name relative to the dataset's location
 * @param bytes object size
 * @param crc32c CRC32C of the object, 8 hex digits
 * @param features how many features have statistics (the others never occur)
 * @param rows how many rows the statistics were computed over
 */
public record StatisticsRef(String name, long bytes, String crc32c, long features, long rows) implements Serializable {}
