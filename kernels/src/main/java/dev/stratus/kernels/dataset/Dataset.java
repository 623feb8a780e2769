package dev.stratus.kernels.dataset;

import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.io.Serializable;
import org.apache.beam.sdk.coders.DefaultCoder;

/**
 * A dataset that exists: its location and its manifest. This is the element of the single-element
 * {@code PCollection<Dataset>} that the DSL's transforms hand to one another; the rows stay in the store.
 *
 * @param location {@code s3://bucket/prefix}; the objects are under {@code prefix/}
 * @param manifest what was committed there
 */
@DefaultCoder(DatasetCoder.class)
public record Dataset(String location, DatasetManifest manifest) implements Serializable {
  public Dataset {
    S3Path.parse(location); // refuse a malformed location where it is made, not where it is read
  }

  /** The dataset at {@code location}, refused clearly if it has no manifest. */
  public static Dataset open(ObjectStore store, S3Path location) {
    return new Dataset(location.toString(), DatasetManifest.read(store, location));
  }

  public S3Path path() {
    return S3Path.parse(location);
  }

  /** The object named {@code name} under this dataset's location. */
  public S3Path object(String name) {
    return path().resolve(name);
  }

  public long rowCount() {
    return manifest.rowCount();
  }

  public long featureCount() {
    return manifest.featureCount();
  }

  @Override
  public String toString() {
    return location + " (" + manifest.rowCount() + " rows, " + manifest.featureCount() + " features, "
        + manifest.partitions().size() + " partitions)";
  }
}
