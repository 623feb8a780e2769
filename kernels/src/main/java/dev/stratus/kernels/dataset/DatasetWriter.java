package dev.stratus.kernels.dataset;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Writes datasets in three steps that make a failed write invisible: {@link #begin} removes the old manifest,
 * workers write partitions through {@link #sink}s, and {@link #commit} writes the manifest last, then deletes the
 * objects of earlier or failed writes at that location.
 *
 * <pre>{@code
 * DatasetWriter.begin(store, location);
 * PartitionSink sink = DatasetWriter.sink(store, location, 100_000);
 * rows.forEach(sink::add);
 * Dataset d = DatasetWriter.commit(store, location, template.withPartitions(sink.finish(), 0, features));
 * }</pre>
 */
public final class DatasetWriter {
  public static final int DEFAULT_ROWS_PER_PARTITION = 100_000;
  static final String PARTITION_PREFIX = "part-";
  static final String PARTITION_SUFFIX = ".lz4";
  static final String STATISTICS_PREFIX = "statistics-";
  static final String STATISTICS_SUFFIX = ".bin";

  private DatasetWriter() {}

  /**
   * Prepares {@code location} for a new dataset: the bucket must exist (the embedded store creates it, a real store is
   * not given buckets behind its owner's back), and any dataset there stops existing until the new one commits.
   */
  public static void begin(ObjectStore store, S3Path location) {
    if (location.key().isEmpty()) {
      throw new IllegalArgumentException(
          "a dataset needs a prefix inside its bucket (s3://" + location.bucket() + "/name), not the bucket itself");
    }
    requireBucket(store, location);
    S3Path manifest = location.resolve(DatasetManifest.NAME);
    if (store.exists(manifest)) {
      store.delete(manifest);
    }
  }

  /** The bucket must exist: the embedded store creates it, a real store is refused with a clear message. */
  private static void requireBucket(ObjectStore store, S3Path location) {
    if (!store.bucketExists(location.bucket())) {
      if (!store.spec().isEmbedded()) {
        throw new StoreException.NotFound(
            "cannot write the dataset " + location + ": the bucket '" + location.bucket() + "' does not exist in "
                + store.spec().describe() + " (create it, or choose another with --bucket or .to(...))");
      }
      try {
        store.ensureBucket(location.bucket());
      } catch (StoreException e) {
        if (!store.bucketExists(location.bucket())) { // else a parallel write created it first
          throw e;
        }
      }
    }
  }

  public static PartitionSink sink(ObjectStore store, S3Path location, int rowsPerPartition) {
    return new PartitionSink(store, location, rowsPerPartition);
  }

  /** Writes {@code statistics} as an object of the dataset at {@code location}, for its manifest to reference. */
  public static StatisticsRef writeStatistics(ObjectStore store, S3Path location, FeatureStatistics statistics) {
    byte[] object = statistics.encode();
    String name = STATISTICS_PREFIX + UUID.randomUUID().toString().replace("-", "").substring(0, 16) + STATISTICS_SUFFIX;
    store.put(location.resolve(name), object);
    return new StatisticsRef(name, object.length, Checksums.crc32c(object), statistics.size(), statistics.rows());
  }

  /**
   * Copies a statistics object of the dataset at {@code from}, verified, under the same name to the dataset being
   * written at {@code to}, so that a manifest derived from the source's still references it correctly.
   */
  public static void copyStatistics(ObjectStore store, S3Path from, StatisticsRef ref, S3Path to) {
    requireBucket(store, to); // may run before the output's begin
    byte[] object = store.get(from.resolve(ref.name()));
    Checksums.verify(object, ref.bytes(), ref.crc32c(), "statistics object " + ref.name() + " of " + from);
    store.put(to.resolve(ref.name()), object);
  }

  /**
   * Makes the dataset exist: checks that every listed object is in place, writes the manifest, then deletes the
   * partition and statistics objects under {@code location} that it does not list (left by earlier or failed writes).
   */
  public static Dataset commit(ObjectStore store, S3Path location, DatasetManifest manifest) {
    Map<String, Long> present = new HashMap<>();
    String prefix = location.prefix();
    for (ObjectStore.ObjectInfo o : store.list(new S3Path(location.bucket(), prefix))) {
      present.put(o.path().key().substring(prefix.length()), o.size());
    }
    for (PartitionInfo p : manifest.partitions()) {
      Long size = present.get(p.name());
      if (size == null || size != p.bytes()) {
        throw new DatasetException(
            "cannot commit " + location + ": partition " + p.name() + " is " + (size == null ? "missing" : size + " bytes")
                + " instead of " + p.bytes() + " bytes (was it deleted by a concurrent write to the same location?)");
      }
    }
    store.put(location.resolve(DatasetManifest.NAME), manifest.toJson());
    List<String> listed = manifest.partitions().stream().map(PartitionInfo::name).toList();
    String statistics =
        manifest.scaling() == null || manifest.scaling().statistics() == null
            ? null
            : manifest.scaling().statistics().name();
    for (String name : present.keySet()) {
      boolean ours =
          (name.startsWith(PARTITION_PREFIX) && name.endsWith(PARTITION_SUFFIX))
              || (name.startsWith(STATISTICS_PREFIX) && name.endsWith(STATISTICS_SUFFIX));
      if (ours && !name.contains("/") && !listed.contains(name) && !name.equals(statistics)) {
        store.delete(location.resolve(name));
      }
    }
    return new Dataset(location.toString(), manifest);
  }

  /** Writes {@code rows} as a dataset in one go, in this thread: for tests, small data and generated data. */
  public static Dataset write(
      ObjectStore store, S3Path location, Iterable<SparseRow> rows, DatasetManifest template, int rowsPerPartition) {
    begin(store, location);
    PartitionSink sink = sink(store, location, rowsPerPartition);
    for (SparseRow row : rows) {
      sink.add(row);
    }
    List<PartitionInfo> partitions = sink.finish();
    long features = Math.max(template.featureCount(), sink.maxIndex() + 1L);
    return commit(store, location, template.withPartitions(partitions, 0, features));
  }
}
