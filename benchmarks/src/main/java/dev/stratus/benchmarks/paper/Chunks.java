package dev.stratus.benchmarks.paper;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.dataset.PartitionCodec;
import dev.stratus.kernels.sgd.Minibatch;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The training rows as small numbered objects, the unit a PyWren-style worker reads its minibatches from (the
 * datasets' own partitions hold 50,000 rows, far more than one iteration reads).
 */
final class Chunks {
  static final int ROWS = 1000;

  private Chunks() {}

  /** Writes the training rows as chunks under {@code root} unless already there; returns how many there are. */
  static int write(ObjectStore store, Dataset train, S3Path root) {
    S3Path count = root.resolve("count");
    if (store.exists(count)) {
      return Integer.parseInt(new String(store.get(count), StandardCharsets.US_ASCII));
    }
    int chunks = 0;
    List<SparseRow> rows = new ArrayList<>(ROWS);
    for (Iterator<SparseRow> it = DatasetReader.rows(store, train); it.hasNext(); ) {
      rows.add(it.next());
      if (rows.size() == ROWS) {
        store.put(root.resolve(String.valueOf(chunks++)), PartitionCodec.encode(rows));
        rows.clear();
      }
    }
    store.put(count, String.valueOf(chunks).getBytes(StandardCharsets.US_ASCII));
    return chunks;
  }

  /** Worker {@code worker}'s share of {@code chunks} chunks: every {@code workers}-th, from its own number. */
  static int[] interleaved(int chunks, int worker, int workers) {
    int[] own = new int[(chunks - worker + workers - 1) / workers];
    for (int i = 0; i < own.length; i++) {
      own[i] = worker + i * workers;
    }
    return own;
  }

  static SparseRow[] read(ObjectStore store, S3Path root, int chunk) {
    S3Path path = root.resolve(String.valueOf(chunk));
    return PartitionCodec.decode(store.get(path), path.toString());
  }

  /**
   * Minibatches read without prefetching: minibatch {@code i} of a worker is a fixed slice of one of its chunks,
   * and the chunk is fetched from the store, in the worker's thread, whenever the next minibatch is in another.
   */
  static final class Synchronous {
    private final ObjectStore store;
    private final S3Path root;
    private final int[] own;
    private final int batchSize;
    private final int biasKey;
    private long next;
    private int loadedChunk = -1;
    private SparseRow[] rows;

    Synchronous(ObjectStore store, S3Path root, int[] own, int batchSize, int biasKey, long first) {
      this.store = store;
      this.root = root;
      this.own = own;
      this.batchSize = batchSize;
      this.biasKey = biasKey;
      this.next = first;
    }

    void next(Minibatch batch) {
      int perChunk = ROWS / batchSize;
      long i = next++;
      int chunk = own[(int) ((i / perChunk) % own.length)];
      if (chunk != loadedChunk) {
        rows = read(store, root, chunk);
        loadedChunk = chunk;
      }
      int from = (int) (i % perChunk) * batchSize;
      batch.fill(rows, from, from + batchSize, biasKey);
    }
  }
}
