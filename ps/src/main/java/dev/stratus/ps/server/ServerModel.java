package dev.stratus.ps.server;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.wire.FrameIn;
import dev.stratus.ps.wire.FrameOut;
import dev.stratus.ps.wire.MalformedFrameException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One shard's slice of a model: rows {@code [rowStart, rowEnd)} of a {@code rows x cols} float matrix, starting at
 * {@link ModelSpec#initialValue}, plus the optimizer's per-weight state (AdaGrad's sum of squares, momentum's
 * velocity), starting at zeros.
 *
 * <p>Concurrency: a push locks only the stripes (contiguous row blocks, at most 64) it touches, one at a time, with
 * short spin locks, so concurrent pushes proceed in parallel and no update is lost; it passes over a stripe another
 * push holds and comes back to it, instead of waiting behind it. Pulls read without locks
 * (a pull may see a concurrent push half applied, as in Hogwild-style asynchronous SGD). A snapshot takes the write
 * side of {@link #snapshotLock}, which every push holds shared, so a snapshot's weights match its clock exactly.
 */
final class ServerModel {
  private static final int MAX_STRIPES = 64; // a push keeps the stripes it has yet to apply in one long
  private static final long ALL_STRIPES = -1L;
  private static final int PADDING = 16; // ints per cache line
  private static final int PASSES_BEFORE_YIELD = 16;
  private static final VarHandle GRADIENT =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

  final int id;
  final String name;
  final ModelSpec spec;
  final int rowStart;
  final int rowEnd;
  private final float[] weights;
  private final float[] state; // null for SGD
  /**
   * With {@link ModelSpec#l2AllRows}, the push count ({@link #slicesApplied}, wrapping) at which each row last took
   * its penalty; what it missed since, it takes when a push next touches it, or a snapshot settles every row. Null
   * when the penalty is the touched rows' only.
   */
  private final int[] penalisedAt;
  /**
   * With an L1 penalty ({@link ModelSpec#l1}): {@link #weights} holds each value's gradient sum, {@link #state} the sum
   * of its squares, and what a read returns is {@link Optimizer#dualAveraged} of them at the pushes applied so far.
   */
  private final boolean dualAveraging;
  /** The L2 penalty now: the spec's, until a client sets another ({@link #setL2}); a restart goes back to the spec's. */
  private volatile float l2;
  private final int stripeShift;
  private final AtomicIntegerArray stripeLocks; // 1 = held; one per 64-byte line, so stripes never share a line
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
    if (spec.initScale() > 0) {
      long first = (long) rowStart * spec.cols(); // the global position, so every slicing holds the same values
      for (int i = 0; i < floats; i++) {
        weights[i] = spec.initialValue(first + i);
      }
    }
    this.state = spec.optimizer() == Optimizer.SGD ? null : new float[floats];
    this.dualAveraging = spec.l1() > 0;
    this.penalisedAt = spec.l2AllRows() && !dualAveraging ? new int[rowEnd - rowStart] : null;
    this.l2 = spec.l2();
    int rows = Math.max(1, rowEnd - rowStart);
    int shift = 0;
    while ((rows - 1 >> shift) + 1 > MAX_STRIPES) {
      shift++;
    }
    this.stripeShift = shift;
    this.stripeLocks = new AtomicIntegerArray((((rows - 1) >> shift) + 1) * PADDING);
  }

  /**
   * The penalty from the next push on; what rows missed before it they take first, at the old one. With
   * {@code freshRates} the optimizer's state starts again (AdaGrad's sums of squares, momentum's velocities), so steps
   * are as large as a new model's: a training moving to another penalty is a new problem from warm weights.
   */
  void setL2(float penalty, boolean freshRates) {
    snapshotLock.writeLock().lock(); // no push meanwhile
    try {
      settlePenalties(); // what rows missed so far, at the penalty and step sizes it was missed at
      l2 = penalty;
      if (freshRates && state != null && !dualAveraging) { // a dual average's sums are the model itself
        Arrays.fill(state, 0f);
      }
    } finally {
      snapshotLock.writeLock().unlock();
    }
  }

  long clock() {
    return clock.get();
  }

  /**
   * Grows with every push applied here (a slice of a push counts too), and comes back with a restored snapshot:
   * unchanged means the model is unchanged.
   */
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

  /** An error message if {@code keys[1..n]} (ascending, see {@link FrameIn#keys}) are not all rows of this shard. */
  String checkRows(int[] keys) {
    int n = keys[0];
    if (n > 0 && (keys[1] < rowStart || keys[n] >= rowEnd)) {
      int bad = keys[1] < rowStart ? keys[1] : keys[n];
      return "key " + bad + " is out of range for model '" + name + "' on this shard (rows " + rowStart + ".."
          + (rowEnd - 1) + " of " + spec.rows() + ")";
    }
    return null;
  }

  /** Appends the rows {@code keys[1..n]} to a reply, as float32 or as halves. */
  void pull(int[] keys, FrameOut out, boolean halves) {
    int cols = spec.cols();
    int n = keys[0];
    if (dualAveraging) {
      float[] rows = new float[n * cols];
      long steps = slicesApplied.get();
      for (int i = 1; i <= n; i++) {
        dualAveraged((keys[i] - rowStart) * cols, rows, (i - 1) * cols, cols, steps);
      }
      if (halves) {
        out.halves(rows, 0, rows.length);
      } else {
        out.floats(rows, 0, rows.length);
      }
      return;
    }
    if (cols == 1) {
      if (halves) {
        out.gatherHalves(weights, keys, n, rowStart);
      } else {
        out.gather(weights, keys, n, rowStart);
      }
      return;
    }
    for (int i = 1; i <= n; i++) {
      if (halves) {
        out.halves(weights, (keys[i] - rowStart) * cols, cols);
      } else {
        out.floats(weights, (keys[i] - rowStart) * cols, cols);
      }
    }
  }

  /**
   * Appends {@code count} rows from local row {@code from} to a reply: the whole-model read, so each row as it is
   * with the penalty it missed since a push last touched it (the values stay as they are here).
   */
  void pullRange(int from, int count, FrameOut out) {
    int cols = spec.cols();
    int first = (from - rowStart) * cols;
    if (dualAveraging) {
      float[] rows = new float[count * cols];
      dualAveraged(first, rows, 0, rows.length, slicesApplied.get());
      out.floats(rows, 0, rows.length);
      return;
    }
    if (penalisedAt == null) {
      out.floats(weights, first, count * cols);
      return;
    }
    float[] rows = new float[count * cols];
    int now = (int) slicesApplied.get();
    for (int r = 0; r < count; r++) {
      int missed = now - penalisedAt[from - rowStart + r];
      for (int c = 0, j = first + r * cols; c < cols; c++, j++) {
        rows[r * cols + c] = missed > 0 ? penalised(j, l2, missed) : weights[j];
      }
    }
    out.floats(rows, 0, rows.length);
  }

  /**
   * Applies the gradient rows that {@code in} holds (one row of {@code cols} floats per key; the caller has checked
   * that exactly that many bytes remain) to rows {@code keys[1..n]}, and consumes them.
   */
  void push(int[] keys, FrameIn in, LongAdder workerUpdates) throws MalformedFrameException {
    int n = keys[0];
    byte[] gradient = in.array();
    int gradientAt = in.position();
    snapshotLock.readLock().lock();
    try {
      long busy = applyToFreeStripes(keys, gradient, gradientAt, ALL_STRIPES);
      for (int passes = 1; busy != 0; passes++) {
        if (passes % PASSES_BEFORE_YIELD == 0) {
          Thread.yield(); // the holder may have been preempted
        } else {
          Thread.onSpinWait();
        }
        busy = applyToFreeStripes(keys, gradient, gradientAt, busy);
      }
      in.skip(4 * n * spec.cols());
      slicesApplied.incrementAndGet();
      if (workerUpdates != null) {
        workerUpdates.increment();
        clock.incrementAndGet();
      }
    } finally {
      snapshotLock.readLock().unlock();
    }
  }

  /**
   * Applies the rows of the stripes in {@code wanted} (a bit per stripe) whose lock is free, each under its lock, and
   * returns the stripes it passed over because another push held them. Pushes touch nearly every stripe in the same
   * ascending order (a minibatch's keys are spread over the whole model), so waiting for each in turn would queue
   * every push behind the one ahead of it; passing over a held stripe keeps both busy on different ones.
   */
  private long applyToFreeStripes(int[] keys, byte[] gradient, int gradientAt, long wanted) {
    int n = keys[0];
    long busy = 0;
    int from = 1;
    while (from <= n) {
      int stripe = (keys[from] - rowStart) >> stripeShift;
      int to = from + 1;
      while (to <= n && ((keys[to] - rowStart) >> stripeShift) == stripe) {
        to++;
      }
      if ((wanted & 1L << stripe) != 0) {
        if (stripeLocks.compareAndSet(stripe * PADDING, 0, 1)) {
          try {
            apply(keys, from, to, gradient, gradientAt + 4 * (from - 1) * spec.cols());
          } finally {
            stripeLocks.set(stripe * PADDING, 0);
          }
        } else {
          busy |= 1L << stripe;
        }
      }
      from = to;
    }
    return busy;
  }

  /**
   * Applies the optimizer to rows {@code keys[from, to)} (all in one locked stripe), their gradient rows starting at
   * byte {@code at} of {@code gradient}, by {@link Optimizer}'s rules. One switch per stripe, tight loops inside.
   */
  private void apply(int[] keys, int from, int to, byte[] gradient, int at) {
    int cols = spec.cols();
    float lr = spec.learningRate();
    float l2 = this.l2;
    float mu = spec.momentum();
    float[] w = weights;
    float[] s = state;
    if (dualAveraging) {
      // the sums alone: the values follow from them when read
      for (int i = from; i < to; i++) {
        for (int j = (keys[i] - rowStart) * cols, end = j + cols; j < end; j++, at += 4) {
          float g = (float) GRADIENT.get(gradient, at);
          w[j] += g;
          s[j] += g * g;
        }
      }
      return;
    }
    if (penalisedAt != null) {
      // this push's penalty and every one the rows missed, first, as a proximal step; then the loss's gradient alone
      int now = (int) slicesApplied.get() + 1;
      for (int i = from; i < to; i++) {
        int row = keys[i] - rowStart;
        int missed = Math.max(1, now - penalisedAt[row]);
        penalisedAt[row] = now;
        for (int j = row * cols, end = j + cols; j < end; j++) {
          w[j] = penalised(j, l2, missed);
        }
      }
      l2 = 0;
    }
    switch (spec.optimizer()) {
      case SGD -> {
        for (int i = from; i < to; i++) {
          for (int j = (keys[i] - rowStart) * cols, end = j + cols; j < end; j++, at += 4) {
            Optimizer.sgd(w, j, (float) GRADIENT.get(gradient, at), lr, l2);
          }
        }
      }
      case ADAGRAD -> {
        for (int i = from; i < to; i++) {
          for (int j = (keys[i] - rowStart) * cols, end = j + cols; j < end; j++, at += 4) {
            Optimizer.adagrad(w, s, j, (float) GRADIENT.get(gradient, at), lr, l2);
          }
        }
      }
      case MOMENTUM -> {
        for (int i = from; i < to; i++) {
          for (int j = (keys[i] - rowStart) * cols, end = j + cols; j < end; j++, at += 4) {
            Optimizer.momentum(w, s, j, (float) GRADIENT.get(gradient, at), lr, l2, mu);
          }
        }
      }
    }
  }

  /** A consistent copy: weights, optimizer state, clock and counts as of one instant. */
  Snapshot snapshot() {
    snapshotLock.writeLock().lock();
    try {
      settlePenalties();
      return new Snapshot(
          id, name, spec, rowStart, rowEnd, clock.get(), slicesApplied.get(), System.currentTimeMillis(),
          updatesByWorker(), weights.clone(), state == null ? null : state.clone());
    } finally {
      snapshotLock.writeLock().unlock();
    }
  }

  /**
   * Appends rows {@code [from, from + count)} as this slice holds them, for another slicing of the model to
   * {@link #loadRows}: the push counts, the penalty now, per-worker counts, the values (an L1 model's gradient sums)
   * and the optimizer's state, every row's missed penalty taken first (see {@link dev.stratus.ps.wire.Wire#ROWS_HELD}).
   */
  void rowsHeld(int from, int count, FrameOut out) {
    snapshotLock.writeLock().lock(); // as of one instant, as a snapshot
    try {
      settlePenalties(from - rowStart, from - rowStart + count); // the piece's rows: a copy reads a slice in pieces
      out.i64(slicesApplied.get()).i64(clock.get()).f32(l2).updateCounts(updatesByWorker());
      int first = (from - rowStart) * spec.cols();
      out.floats(weights, first, count * spec.cols());
      out.u8(state == null ? 0 : 1);
      if (state != null) {
        out.floats(state, first, count * spec.cols());
      }
    } finally {
      snapshotLock.writeLock().unlock();
    }
  }

  /**
   * Replaces rows {@code [from, from + count)} with what {@link #rowsHeld} gave of another slicing of this model, and
   * takes its push count and penalty; adds the clock and per-worker counts it carries (the client sends an old slice's
   * once). Every row loaded has taken its penalty up to that count.
   */
  void loadRows(int from, int count, FrameIn in) throws MalformedFrameException {
    long changes = in.i64();
    long clockAdded = in.i64();
    float penalty = in.f32();
    Map<Integer, Long> counts = in.updateCounts();
    int first = (from - rowStart) * spec.cols();
    int floats = count * spec.cols();
    snapshotLock.writeLock().lock();
    try {
      in.floats(weights, first, floats);
      boolean hasState = in.u8() != 0;
      if (hasState != (state != null)) {
        throw new BadRequest("rows of '" + name + "' " + (hasState ? "with" : "without") + " optimizer state, this"
            + " shard's model " + (state != null ? "has" : "has none"));
      }
      if (state != null) {
        in.floats(state, first, floats);
      }
      in.expectEnd();
      slicesApplied.set(changes);
      if (penalisedAt != null) {
        Arrays.fill(penalisedAt, from - rowStart, from - rowStart + count, (int) changes);
      }
      clock.addAndGet(clockAdded);
      counts.forEach((worker, updates) -> updatesOf(worker).add(updates));
      l2 = penalty;
    } finally {
      snapshotLock.writeLock().unlock();
    }
  }

  /** Gives every row the penalty it missed, so the weights are what they would be had each push penalised all. */
  private void settlePenalties() {
    settlePenalties(0, rowEnd - rowStart);
  }

  /** As {@link #settlePenalties()}, for local rows {@code [from, to)} only. */
  private void settlePenalties(int from, int to) {
    if (penalisedAt == null) {
      return;
    }
    int now = (int) slicesApplied.get();
    int cols = spec.cols();
    for (int row = from; row < to; row++) {
      int missed = now - penalisedAt[row];
      if (missed > 0) {
        for (int j = row * cols, end = j + cols; j < end; j++) {
          weights[j] = penalised(j, l2, missed);
        }
        penalisedAt[row] = now;
      }
    }
  }

  /** Values {@code from..from+count} of a dual-averaging model after {@code steps} pushes, into {@code out} at {@code at}. */
  private void dualAveraged(int from, float[] out, int at, int count, long steps) {
    float lr = spec.learningRate();
    float l1 = spec.l1();
    float l2 = this.l2;
    for (int k = 0; k < count; k++) {
      out[at + k] = Optimizer.dualAveraged(weights[from + k], state[from + k], lr, l1, l2, steps);
    }
  }

  /** Value {@code j} with the penalty of {@code missed} pushes at {@code l2} taken, at the step size it has now. */
  private float penalised(int j, float l2, int missed) {
    return spec.optimizer().penalised(weights, state, j, spec.learningRate(), l2, missed);
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
      slicesApplied.set(snapshot.changes());
      if (penalisedAt != null) {
        Arrays.fill(penalisedAt, (int) snapshot.changes()); // a snapshot's rows have taken every penalty
      }
      updatesByWorker.clear();
      snapshot.updatesByWorker().forEach((worker, count) -> updatesOf(worker).add(count));
    } finally {
      snapshotLock.writeLock().unlock();
    }
  }
}
