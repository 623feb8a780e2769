package dev.stratus.kernels.dataset;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Writes rows as partition objects of at most {@code rowsPerPartition} rows under a dataset's location, each named
 * with a fresh write id so that a rerun, a retried task or a parallel worker never overwrites another's objects.
 * The objects stay invisible until a manifest lists them ({@link DatasetWriter#commit}).
 */
public final class PartitionSink {
  private final ObjectStore store;
  private final S3Path location;
  private final int rowsPerPartition;
  private final String writeId = UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  private final PartitionCodec.Encoder encoder = new PartitionCodec.Encoder();
  private final List<PartitionInfo> written = new ArrayList<>();
  private int maxIndex = -1;

  PartitionSink(ObjectStore store, S3Path location, int rowsPerPartition) {
    if (rowsPerPartition < 1) {
      throw new IllegalArgumentException("rows per partition must be at least 1, got " + rowsPerPartition);
    }
    this.store = store;
    this.location = location;
    this.rowsPerPartition = rowsPerPartition;
  }

  public void add(SparseRow row) {
    int n = row.size();
    if (n > 0 && row.indices()[n - 1] > maxIndex) {
      maxIndex = row.indices()[n - 1];
    }
    encoder.add(row);
    if (encoder.rowCount() >= rowsPerPartition) {
      flush();
    }
  }

  /** The largest feature index among the rows added, or -1. */
  public int maxIndex() {
    return maxIndex;
  }

  /** Writes what is left and returns every partition this sink wrote. */
  public List<PartitionInfo> finish() {
    if (encoder.rowCount() > 0) {
      flush();
    }
    return List.copyOf(written);
  }

  /** Deletes what this sink wrote, best effort: the next commit at this location removes any leftovers anyway. */
  public void abort() {
    for (PartitionInfo p : written) {
      try {
        store.delete(location.resolve(p.name()));
      } catch (RuntimeException ignored) {
        // an orphan is harmless: no manifest lists it and the next commit deletes it
      }
    }
    written.clear();
    encoder.reset();
  }

  private void flush() {
    byte[] object = encoder.finish();
    String name = String.format("%s%s-%05d%s", DatasetWriter.PARTITION_PREFIX, writeId, written.size(),
        DatasetWriter.PARTITION_SUFFIX);
    store.put(location.resolve(name), object);
    written.add(new PartitionInfo(name, encoder.rowCount(), object.length, Checksums.crc32c(object)));
    encoder.reset();
  }
}
