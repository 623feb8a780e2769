package dev.stratus.kernels.iterate;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.Minibatch;
import java.io.Serializable;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Minibatches over a worker's share of a dataset's partitions, epoch after epoch, with a background thread that
 * fetches and decodes the next partitions while the worker computes (the paper's prefetching iterator).
 *
 * <p>At most {@code prefetchDepth} decoded partitions wait in the ring, and the partitions held (the ring's and the one
 * the worker is in) take at most the prefetch budget's bytes, measured as they are decoded: rows of 40 entries or of
 * 400 fill the worker's memory alike. Time the worker spends waiting for data is counted as stall time. The iterator
 * can start anywhere ({@link Position}), so a worker that stops can be replaced by one that picks up where it left off.
 */
public final class MinibatchIterator implements AutoCloseable {
  /** Where a worker is: epoch, step in that epoch's partition order, row within the partition. */
  public record Position(int epoch, int step, int row) implements Serializable, Comparable<Position> {
    public static final Position START = new Position(0, 0, 0);

    /** Positions in the order a worker reaches them. */
    @Override
    public int compareTo(Position other) {
      int byEpoch = Integer.compare(epoch, other.epoch);
      if (byEpoch != 0) {
        return byEpoch;
      }
      int byStep = Integer.compare(step, other.step);
      return byStep != 0 ? byStep : Integer.compare(row, other.row);
    }
  }

  /** Loads one partition's rows; called on the prefetch thread. */
  @FunctionalInterface
  public interface PartitionSource {
    SparseRow[] load(int partition) throws Exception;
  }

  /** A partition's rows, and the KiB of the prefetch budget they hold until the worker is done with them. */
  private record Loaded(int epoch, int step, SparseRow[] rows, int budgetKib, Throwable error) {}

  private static final Loaded END = new Loaded(-1, -1, null, 0, null);

  private final int batchSize;
  private final int biasKey;
  private final BlockingQueue<Loaded> ring;
  /** Without prefetching, a permit per partition the worker asked for; null when fetching ahead. */
  private final Semaphore demand;
  private final Thread prefetcher;
  /** KiB of decoded rows the ring and the current partition may hold (one more, decoded, may wait for room). */
  private final Semaphore budget;
  private final int budgetKib;
  /** What the current partition holds of the budget, given back when the worker leaves it. */
  private int heldKib;
  private Loaded current;
  private int row;
  /** The position while no partition is current: the start, then the end of the data. */
  private Position resumeAt;
  private long stallNanos;
  private long batches;
  private boolean finished;

  private MinibatchIterator(Builder b) {
    this.batchSize = b.batchSize;
    this.biasKey = b.biasKey;
    this.ring = new ArrayBlockingQueue<>(b.prefetchDepth);
    this.demand = b.prefetch ? null : new Semaphore(0);
    this.budgetKib = (int) Math.min(Integer.MAX_VALUE, Math.max(1, b.prefetchBudgetBytes >> 10));
    this.budget = new Semaphore(budgetKib);
    this.row = b.start.row();
    this.resumeAt = b.start;
    this.prefetcher = new Thread(() -> prefetch(b), "minibatch-prefetch");
    prefetcher.setDaemon(true);
    prefetcher.start();
  }

  public static Builder over(PartitionSource source, int[] partitions) {
    return new Builder(source, partitions);
  }

  /**
   * The order in which an epoch visits the worker's partitions: a shuffle seeded by the epoch, so every worker
   * generation agrees on it and a {@link Position} means the same thing across restarts.
   */
  static int[] epochOrder(int[] partitions, long seed, int epoch) {
    int[] order = partitions.clone();
    Random random = new Random(seed * 1_000_003L + epoch);
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  private void prefetch(Builder b) {
    try {
      for (int epoch = b.start.epoch(); b.epochs == 0 || epoch < b.epochs; epoch++) {
        int[] order = epochOrder(b.partitions, b.seed, epoch);
        int firstStep = epoch == b.start.epoch() ? b.start.step() : 0;
        for (int step = firstStep; step < order.length; step++) {
          if (demand != null) {
            demand.acquire();
          }
          SparseRow[] rows = b.source.load(order[step]);
          // A partition larger than the whole budget still goes, alone.
          int kib = (int) Math.min(budgetKib, decodedBytes(rows) >> 10);
          budget.acquire(kib);
          ring.put(new Loaded(epoch, step, rows, kib, null));
        }
      }
      ring.put(END);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // closed by the worker
    } catch (Throwable t) {
      try {
        ring.put(new Loaded(-1, -1, null, 0, t)); // waits for room: an offer to a full ring lost it, and the worker hung
      } catch (InterruptedException closed) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Fills {@code batch} with the next minibatch; returns false when the last epoch is done. A batch never spans two
   * partitions, so it may be shorter than the batch size at a partition's end.
   */
  public boolean next(Minibatch batch) throws InterruptedException {
    while (!finished) {
      if (current != null && row < current.rows().length) {
        int to = Math.min(row + batchSize, current.rows().length);
        batch.fill(current.rows(), row, to, biasKey);
        row = to;
        batches++;
        return true;
      }
      if (current != null) {
        row = 0;
      }
      budget.release(heldKib);
      heldKib = 0;
      long waitStart = System.nanoTime();
      if (demand != null) {
        demand.release();
      }
      Loaded next = ring.take();
      stallNanos += System.nanoTime() - waitStart;
      if (next.error() != null) {
        finished = true;
        throw new IllegalStateException("cannot fetch the next partition: " + next.error().getMessage(), next.error());
      }
      if (next == END) {
        finished = true;
        if (current != null) {
          resumeAt = new Position(current.epoch(), current.step(), row);
        }
        current = null;
        return false;
      }
      current = next;
      heldKib = next.budgetKib();
    }
    return false;
  }

  /**
   * Where the next batch will come from; a new iterator started here continues without repeating rows. Before the
   * first batch it is where this iterator started; after the last, where the data ended.
   */
  public Position position() {
    if (current == null) {
      return resumeAt;
    }
    return new Position(current.epoch(), current.step(), row);
  }

  public long stallNanos() {
    return stallNanos;
  }

  public long batches() {
    return batches;
  }

  @Override
  public void close() {
    prefetcher.interrupt();
    try {
      prefetcher.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** About what decoded rows take on the heap: a row's objects, and an int and a float per entry. */
  static long decodedBytes(SparseRow[] rows) {
    long bytes = 0;
    for (SparseRow row : rows) {
      bytes += 60 + 8L * row.size();
    }
    return bytes;
  }

  public static final class Builder {
    private final PartitionSource source;
    private final int[] partitions;
    private int batchSize = 20;
    private int biasKey;
    private int epochs = 1;
    private int prefetchDepth = 2;
    private long prefetchBudgetBytes = Long.MAX_VALUE;
    private boolean prefetch = true;
    private long seed;
    private Position start = Position.START;

    private Builder(PartitionSource source, int[] partitions) {
      if (partitions.length == 0) {
        throw new IllegalArgumentException("a minibatch iterator needs at least one partition");
      }
      this.source = source;
      this.partitions = partitions.clone();
    }

    public Builder batchSize(int batchSize) {
      if (batchSize < 1) {
        throw new IllegalArgumentException("minibatch size must be at least 1, got " + batchSize);
      }
      this.batchSize = batchSize;
      return this;
    }

    /** The model key that stands for the bias: the feature count. */
    public Builder biasKey(int biasKey) {
      this.biasKey = biasKey;
      return this;
    }

    /** Passes over the partitions; 0 means without end (the caller stops). */
    public Builder epochs(int epochs) {
      this.epochs = epochs;
      return this;
    }

    public Builder prefetchDepth(int depth) {
      this.prefetchDepth = Math.max(1, depth);
      return this;
    }

    /** Bytes of decoded rows the worker may hold, ahead and in its current partition; no bound by default. */
    public Builder prefetchBudgetBytes(long bytes) {
      this.prefetchBudgetBytes = bytes;
      return this;
    }

    /**
     * Whether partitions are fetched ahead of the worker (the default); without, each is fetched when the worker
     * reaches it, and the whole fetch counts as stall time.
     */
    public Builder prefetch(boolean prefetch) {
      this.prefetch = prefetch;
      return this;
    }

    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    public Builder startAt(Position position) {
      this.start = position == null ? Position.START : position;
      return this;
    }

    public MinibatchIterator build() {
      return new MinibatchIterator(this);
    }
  }
}
