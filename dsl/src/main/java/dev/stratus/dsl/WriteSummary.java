package dev.stratus.dsl;

import dev.stratus.kernels.dataset.DatasetException;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.dataset.PartitionInfo;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.SerializableCoder;

/**
 * What one worker wrote towards a dataset: its partitions, the records it skipped, the largest feature index it saw,
 * and the manifest fields it knows ({@code template}: feature space, named features, source, scaling).
 */
@DefaultCoder(SerializableCoder.class)
record WriteSummary(
    String location, DatasetManifest template, List<PartitionInfo> partitions, long badRecords, int maxIndex)
    implements Serializable {

  /** Both summaries as one; workers that disagree on the feature layout (CSV files with other columns) are refused. */
  WriteSummary merge(WriteSummary other) {
    if (!location.equals(other.location)) {
      throw new IllegalStateException("summaries of two datasets merged: " + location + ", " + other.location);
    }
    DatasetManifest kept = template;
    if (!partitions.isEmpty() && !other.partitions.isEmpty()) {
      if (template.featureCount() != other.template.featureCount()
          || !template.namedFeatures().equals(other.template.namedFeatures())) {
        throw new DatasetException("the inputs of " + location + " disagree on their features: "
            + describe(template) + " versus " + describe(other.template)
            + " (CSV files must have the same columns in the same order)");
      }
    } else if (partitions.isEmpty()) {
      kept = other.template; // an empty input (an empty CSV has no header) says nothing about the layout
    }
    List<PartitionInfo> all = new ArrayList<>(partitions);
    all.addAll(other.partitions);
    return new WriteSummary(
        location, kept, all, badRecords + other.badRecords, Math.max(maxIndex, other.maxIndex));
  }

  /** The manifest that commits these partitions, in name order so it does not depend on worker timing. */
  DatasetManifest manifest() {
    List<PartitionInfo> sorted = new ArrayList<>(partitions);
    sorted.sort((a, b) -> a.name().compareTo(b.name()));
    long features = Math.max(template.featureCount(), maxIndex + 1L);
    return template.withPartitions(sorted, badRecords, features);
  }

  private static String describe(DatasetManifest m) {
    return m.featureCount() + " features named " + Objects.toString(m.namedFeatures());
  }
}
