package dev.stratus.kernels.dataset;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Reads a dataset's rows: only the partitions its manifest lists, each checked against the manifest's size and CRC32C
 * before it is decoded. {@link #rows} streams, holding one partition at a time.
 */
public final class DatasetReader {
  private DatasetReader() {}

  /** The rows of partition {@code k} of {@code dataset}, verified. */
  public static PartitionCodec.Reader partition(ObjectStore store, Dataset dataset, int k) {
    PartitionInfo p = dataset.manifest().partitions().get(k);
    String where = "partition " + p.name() + " of " + dataset.location();
    byte[] object;
    try {
      object = store.get(dataset.object(p.name()));
    } catch (StoreException.NotFound e) {
      throw new DatasetException(where + " is missing: the manifest lists it but the store has no such object");
    }
    Checksums.verify(object, p.bytes(), p.crc32c(), where);
    return new PartitionCodec.Reader(object, where);
  }

  /** Partition {@code k}'s rows in memory, verified: what a worker's prefetcher holds. */
  public static SparseRow[] partitionRows(ObjectStore store, Dataset dataset, int k) {
    PartitionCodec.Reader reader = partition(store, dataset, k);
    SparseRow[] rows = new SparseRow[reader.rowCount()];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = reader.next();
    }
    return rows;
  }

  /** The first {@code limit} rows (all of them if fewer), reading only the partitions they come from. */
  public static SparseRow[] firstRows(ObjectStore store, Dataset dataset, int limit) {
    SparseRow[] rows = new SparseRow[(int) Math.min(limit, dataset.rowCount())];
    Iterator<SparseRow> it = rows(store, dataset);
    for (int i = 0; i < rows.length; i++) {
      rows[i] = it.next();
    }
    return rows;
  }

  /** Every row of {@code dataset} in partition order, reading one partition at a time. */
  public static Iterator<SparseRow> rows(ObjectStore store, Dataset dataset) {
    int partitions = dataset.manifest().partitions().size();
    return new Iterator<>() {
      private int next;
      private Iterator<SparseRow> current = Collections.emptyIterator();

      @Override
      public boolean hasNext() {
        while (!current.hasNext() && next < partitions) {
          current = partition(store, dataset, next++);
        }
        return current.hasNext();
      }

      @Override
      public SparseRow next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return current.next();
      }
    };
  }

  /** All rows in memory: for tests and small data. */
  public static List<SparseRow> readAll(ObjectStore store, Dataset dataset) {
    List<SparseRow> rows = new ArrayList<>((int) Math.min(dataset.rowCount(), Integer.MAX_VALUE - 8));
    rows(store, dataset).forEachRemaining(rows::add);
    return rows;
  }

  /** The statistics the dataset's scaling used; a clear error when it has none. */
  public static FeatureStatistics statistics(ObjectStore store, Dataset dataset) {
    Scaling scaling = dataset.manifest().scaling();
    if (scaling == null || scaling.statistics() == null) {
      throw new DatasetException(
          "the dataset " + dataset.location() + " has no feature statistics: normalize it first (Normalize)");
    }
    return statistics(store, dataset.path(), scaling.statistics());
  }

  /** The statistics object {@code ref} of the dataset at {@code location}, verified. */
  public static FeatureStatistics statistics(ObjectStore store, S3Path location, StatisticsRef ref) {
    String where = "statistics object " + ref.name() + " of " + location;
    byte[] object;
    try {
      object = store.get(location.resolve(ref.name()));
    } catch (StoreException.NotFound e) {
      throw new DatasetException(where + " is missing: the manifest lists it but the store has no such object");
    }
    Checksums.verify(object, ref.bytes(), ref.crc32c(), where);
    return FeatureStatistics.decode(object, where);
  }
}
