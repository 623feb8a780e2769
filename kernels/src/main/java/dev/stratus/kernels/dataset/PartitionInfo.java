package dev.stratus.kernels.dataset;

import java.io.Serializable;

/**
 * One partition object as the manifest lists it.
 *
 * @param name object name relative to the dataset's location
 * @param rows rows it holds
 * @param bytes object size
 * @param crc32c CRC32C of the whole object, 8 hex digits
 */
public record PartitionInfo(String name, long rows, long bytes, String crc32c) implements Serializable {}
