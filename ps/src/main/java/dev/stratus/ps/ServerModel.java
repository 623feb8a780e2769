package dev.stratus.ps;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One shard's slice of a model: rows {@code [rowStart, rowEnd)} of a {@code rows x cols} float matrix, plus the
 * optimizer's per-weight state (AdaGrad's sum of squares, momentum's velocity).
 *
 * <p>Concurrency: a push locks only the stripes (contiguous row blocks) it touches, one at a time in ascending
 * order, so concurrent pushes to different rows proceed in parallel and no update is lost. Pulls read without locks
 * (a pull may see a concurrent push half applied, as in Hogwild-style asynchronous SGD). A snapshot takes the write
 * side of {@link #snapshotLock}, which every push holds shared, so a snapshot's weights match its clock exactly.
 */
final class ServerModel {
  private static final int MAX_STRIPES = 64;
  private static final float ADAGRAD_EPSILON = 1e-8f;

  final int id;
  final String name;
  final ModelSpec spec;
  final int rowStart;
  final int rowEnd;
  private final float[] weights;
  private final float[] state; // null for SGD
  private final int stripeShift;
  private final ReentrantLock[] stripes;
  private final ReentrantReadWriteLock snapshotLock = new ReentrantReadWriteLock();
  private final AtomicLong clock = new AtomicLong();
  private final AtomicLong slicesApplied = new AtomicLong(); // every push, counted or not: tells a change
  private final ConcurrentHashMap<Integer, LongAdder> updatesByWorker = new ConcurrentHashMap<>();

  ServerModel(int id, String name, ModelSpec spec, int rowStart, int rowEnd) {
    this.id = id;
    this.name = name;
    this.spec = spec;
    this.rowStart = rowStart;
    this.rowEnd = rowEnd;
    int floats = Math.multiplyExact(rowEnd - rowStart, spec.cols());
    this.weights = new float[floats];
    this.state = spec.optimizer() == Optimizer.SGD ? null : new float[floats];
    int rows = Math.max(1, rowEnd - rowStart);
    int shift = 0;
    while ((rows - 1 >> shift) + 1 > MAX_STRIPES) {
      shift++;
    }
    this.stripeShift = shift;
    this.stripes = new ReentrantLock[((rows - 1) >> shift) + 1];
    for (int i = 0; i < stripes.length; i++) {
      stripes[i] = new ReentrantLock();
    }
  }

  int localRows() {
    return rowEnd - rowStart;
  }

  long clock() {
    return clock.get();
  }

  /** Grows with every push applied here (a slice of a push counts too); unchanged means the model is unchanged. */
  long changes() {
    return slicesApplied.get();
  }

  /** The counter of logical pushes by {@code workerId}; a connection looks it up once and keeps it. */
  LongAdder updatesOf(int workerId) {
    return updatesByWorker.computeIfAbsent(workerId, w -> new LongAdder());
  }

  /** Logical pushes per worker id, summed over the shard's lifetime (restored ones included). */
  Map<Integer, Long> updatesByWorker() {
    Map<Integer, Long> counts = new TreeMap<>();
    updatesByWorker.forEach((worker, adder) -> counts.put(worker, adder.sum()));
    return counts;
  }

  /** An error message if {@code keys[1..n]} (ascending, see {@link KeyCodec#decode}) are not all rows of this shard. */
  String checkRows(int[] keys) {
    int n = keys[0];
    if (n > 0 && (keys[1] < rowStart || keys[n] >= rowEnd)) {
      int bad = keys[1] < rowStart ? keys[1] : keys[n];
      return "key " + bad + " is out of range for model '" + name + "' on this shard (rows " + rowStart + ".."
          + (rowEnd - 1) + " of " + spec.rows() + ")";
    }
    return null;
  }

  /** Appends the rows {@code keys[1..n]} to a reply. */
  void pull(int[] keys, FrameOut out) {
    int cols = spec.cols();
    int n = keys[0];
    if (cols == 1) {
      out.gather(weights, keys, n, rowStart);
      return;
    }
    for (int i = 1; i <= n; i++) {
      out.floats(weights, (keys[i] - rowStart) * cols, cols);
    }
  }

  /** Appends {@code count} rows from local row {@code from} to a reply. */
  void pullRange(int from, int count, FrameOut out) {
    out.floats(weights, (from - rowStart) * spec.cols(), count * spec.cols());
  }

  /**
   * Applies the gradient rows that {@code in} holds (one row of {@code cols} floats per key; the caller has checked
   * that exactly that many bytes remain) to rows {@code keys[1..n]}, and consumes them.
   */
  void push(int[] keys, FrameIn in, LongAdder workerUpdates) throws MalformedFrameException {
    int cols = spec.cols();
    int n = keys[0];
    float lr = spec.learningRate();
    float l2 = spec.l2();
    float mu = spec.momentum();
    Optimizer optimizer = spec.optimizer();
    int gradientIndex = 0;
    snapshotLock.readLock().lock();
    try {
      int i = 1;
      while (i <= n) {
        int stripe = (keys[i] - rowStart) >> stripeShift;
        ReentrantLock lock = stripes[stripe];
        lock.lock();
        try {
          do {
            int base = (keys[i] - rowStart) * cols;
            for (int c = 0; c < cols; c++) {
              int j = base + c;
              float w = weights[j];
              float g = in.floatAhead(gradientIndex++) + l2 * w;
              switch (optimizer) {
                case SGD -> weights[j] = w - lr * g;
                case ADAGRAD -> {
                  float h = state[j] + g * g;
                  state[j] = h;
                  weights[j] = w - lr * g / ((float) Math.sqrt(h) + ADAGRAD_EPSILON);
                }
                case MOMENTUM -> {
                  float v = mu * state[j] + g;
                  state[j] = v;
                  weights[j] = w - lr * v;
                }
              }
            }
            i++;
          } while (i <= n && ((keys[i] - rowStart) >> stripeShift) == stripe);
        } finally {
          lock.unlock();
        }
      }
      in.skip(4 * gradientIndex);
      slicesApplied.incrementAndGet();
      if (workerUpdates != null) {
        workerUpdates.increment();
        clock.incrementAndGet();
      }
    } finally {
      snapshotLock.readLock().unlock();
    }
  }

  /** A consistent copy: weights, optimizer state, clock and per-worker counts as of one instant. */
  Snapshot snapshot() {
    snapshotLock.writeLock().lock();
    try {
      return new Snapshot(
          name, spec, rowStart, rowEnd, clock.get(), updatesByWorker(), weights.clone(),
          state == null ? null : state.clone());
    } finally {
      snapshotLock.writeLock().unlock();
    }
  }

  /** Replaces this model's contents with a snapshot of the same model and slice. */
  void restore(Snapshot snapshot) {
    if (!snapshot.spec().equals(spec) || snapshot.rowStart() != rowStart || snapshot.rowEnd() != rowEnd) {
      throw new IllegalArgumentException(
          "snapshot of '" + name + "' is of " + snapshot.spec() + " rows " + snapshot.rowStart() + ".."
              + snapshot.rowEnd() + ", this shard holds " + spec + " rows " + rowStart + ".." + rowEnd);
    }
    snapshotLock.writeLock().lock();
    try {
      System.arraycopy(snapshot.weights(), 0, weights, 0, weights.length);
      if (state != null) {
        System.arraycopy(snapshot.state(), 0, state, 0, state.length);
      }
      clock.set(snapshot.clock());
      updatesByWorker.clear();
      snapshot.updatesByWorker().forEach((worker, count) -> updatesOf(worker).add(count));
    } finally {
      snapshotLock.writeLock().unlock();
    }
  }
}
