package dev.stratus.ps.client;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.ModelStatus;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.PsException;
import dev.stratus.ps.ShardAccess;
import dev.stratus.ps.ShardMetrics;
import dev.stratus.ps.WireValues;
import dev.stratus.ps.tls.ShardTls;
import dev.stratus.ps.wire.FrameIn;
import dev.stratus.ps.wire.Handshake;
import dev.stratus.ps.wire.MalformedFrameException;
import dev.stratus.ps.wire.Wire;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

/**
 * A worker's handle on the parameter server: the whole API in a few asynchronous calls over one connection per shard.
 * A model is a {@code rows x cols} float matrix sliced across the shards by row range; a worker {@link #pull}s the
 * rows its minibatch touches and {@link #push}es their gradient, which each shard applies with the model's
 * {@link Optimizer}. Keys are row indices, strictly ascending; values are {@code cols} floats per key, in key order.
 *
 * <pre>{@code
 * try (PsClient ps = PsClient.connect(shardAddresses, ShardAccess.tls(secret, shardCertificatePem), workerId)) {
 *   PsModel model = ps.createModel("lr", ModelSpec.vector(19).optimizer(Optimizer.ADAGRAD)); // or finds it
 *   int[] keys = {3, 17, 4242};
 *   float[] w = ps.pull(model, keys).join();
 *   ps.push(model, keys, gradient(w)).join();
 *   long version = ps.status(model).join().clock(); // pushes applied
 * }
 * }</pre>
 *
 * <p>The client proves the job's secret to each shard and has the shard prove it back, without sending it. Given the
 * shards' certificate ({@link ShardAccess#tls}) it speaks TLS 1.3 to them, trusting that certificate only, so nothing
 * after the connect travels in clear; given the secret alone ({@link ShardAccess#plain}, or the overloads taking a
 * token) the frames are not encrypted. A client and a shard that disagree on TLS fail to connect, saying so.
 *
 * <p>Besides: {@link #pullAll}, {@link #snapshot} and {@link #restore}, {@link #deleteModel}, {@link #copyModel} onto
 * another count of shards; a key-value store for
 * small shared data, each key on the shard its hash picks ({@link #put}, {@link #get}, {@link #multiGet},
 * {@link #delete}, {@link #list}, {@link #add}, an atomic sum of float vectors, and {@link #awaitChange}, a get the
 * shard answers when the key changes); every shard's {@link #metrics}.
 *
 * <p>Every call but {@link #createModel} returns a future at once, and many may be in flight. A failed call's future
 * fails with a {@link PsException} naming the shard and the cause ({@code join()} wraps it in a
 * {@link CompletionException}). A lost connection fails the calls in flight on it with a
 * {@link dev.stratus.ps.ConnectionLostException}; the next call to that shard redials it (a restarted shard listens on
 * its old address) before it returns, for at most the reconnect bound ({@link #DEFAULT_RECONNECT_BOUND} unless
 * given), and fails with a {@link dev.stratus.ps.ShardUnreachableException} past it, as every later call to that
 * shard does at once. Futures complete on a connection's reader thread: chain blocking work with the
 * {@code ...Async} methods. There is no timeout of its own: add {@code orTimeout} where a stuck shard must not stall
 * the caller.
 */
public final class PsClient implements AutoCloseable {
  /** How long a client tries to reach a shard it lost again before its calls fail: a shard's restart fits in it. */
  public static final Duration DEFAULT_RECONNECT_BOUND = Duration.ofSeconds(30);

  private final ShardLink[] shards;
  private volatile WireValues wireValues = WireValues.FLOAT32;
  private final LongAdder bytesSent = new LongAdder();
  private final LongAdder bytesReceived = new LongAdder();

  private PsClient(List<InetSocketAddress> addresses, ShardAccess access, int workerId, Duration reconnectBound) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("a parameter-server client needs at least one shard address");
    }
    shards = new ShardLink[addresses.size()];
    byte[] handshakeKey = Handshake.key(access.token());
    ShardTls.Client tls = access.usesTls() ? ShardTls.client(access.trustedCertificatePem()) : null;
    try {
      for (int i = 0; i < shards.length; i++) {
        shards[i] = new ShardLink(i, addresses.get(i), handshakeKey, tls, workerId, bytesSent, bytesReceived,
            reconnectBound);
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e instanceof PsException p ? p : new PsException("cannot connect: " + e.getMessage(), e);
    }
  }

  /**
   * Connects to every shard as worker 0 over plain frames; shard i of the list must be the server started with
   * {@code --shard i}.
   */
  public static PsClient connect(List<InetSocketAddress> shards, String token) {
    return connect(shards, ShardAccess.plain(token), 0);
  }

  /** Connects as {@code workerId}, under which the shards count this client's pushes, over plain frames. */
  public static PsClient connect(List<InetSocketAddress> shards, String token, int workerId) {
    return connect(shards, ShardAccess.plain(token), workerId);
  }

  /**
   * Connects as {@code workerId} with {@code access}: over TLS, trusting only its certificate, when it has one.
   *
   * @throws IllegalArgumentException when the access's certificate is not readable PEM
   */
  public static PsClient connect(List<InetSocketAddress> shards, ShardAccess access, int workerId) {
    return connect(shards, access, workerId, DEFAULT_RECONNECT_BOUND);
  }

  /**
   * As {@link #connect(List, ShardAccess, int)}, trying for at most {@code reconnectBound} to reach a shard it lost
   * again (its restart, say) before its calls fail with a {@link dev.stratus.ps.ShardUnreachableException}.
   */
  public static PsClient connect(List<InetSocketAddress> shards, ShardAccess access, int workerId,
      Duration reconnectBound) {
    return new PsClient(shards, access, workerId, reconnectBound);
  }

  public int shardCount() {
    return shards.length;
  }

  /** Bytes this client has written to all shards, frame headers included. */
  /**
   * How this client's pulls and pushes carry values from now on (float32 until set); whole-model pulls stay float32.
   */
  public PsClient wireValues(WireValues values) {
    this.wireValues = values;
    return this;
  }

  public long bytesSent() {
    return bytesSent.sum();
  }

  /** Bytes this client has read from all shards. */
  public long bytesReceived() {
    return bytesReceived.sum();
  }

  // ---- models ----------------------------------------------------------------------------------------------

  /**
   * Creates the model on every shard, or finds it if it exists with the same spec (restored from a snapshot, or
   * created by another worker); a different spec under the same name fails. Blocks until every shard answered.
   */
  public PsModel createModel(String name, ModelSpec spec) {
    int[] bounds = PsModel.rowBounds(spec.rows(), shards.length);
    int[] ids = new int[shards.length];
    Gather<int[]> gather = new Gather<>(ids, shards.length);
    for (int s = 0; s < shards.length; s++) {
      int shard = s;
      shards[s].send(Wire.CREATE_MODEL, out -> {
        out.str(name).spec(spec).i32(bounds[shard]).i32(bounds[shard + 1]);
      }, in -> ids[shard] = in.i32(), gather);
    }
    try {
      gather.future.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof PsException p ? p : new PsException("createModel failed", e.getCause());
    }
    return new PsModel(name, spec, ids, bounds);
  }

  /**
   * A handle on a model another client created, by the ids its shards gave it ({@link PsModel#shardIds}). Unlike
   * {@link #createModel} it never makes the model: calls through it fail once a shard no longer holds it (deleted, or
   * lost with a restart that did not restore it), where making it again would hand back zeros as if nothing happened.
   */
  public PsModel model(String name, ModelSpec spec, int[] shardIds) {
    if (shardIds.length != shards.length) {
      throw new IllegalArgumentException("model '" + name + "' has ids for " + shardIds.length + " shards, this client"
          + " reaches " + shards.length);
    }
    return new PsModel(name, spec, shardIds.clone(), PsModel.rowBounds(spec.rows(), shards.length));
  }

  /**
   * Deletes the model of that name from every shard, giving its memory back; completes with whether some shard held
   * it. Requests still naming it fail.
   */
  public CompletableFuture<Boolean> deleteModel(String name) {
    boolean[] existed = new boolean[shards.length];
    Gather<Boolean> gather = new Gather<>(false, shards.length);
    for (int s = 0; s < shards.length; s++) {
      int shard = s;
      shards[s].send(Wire.DELETE_MODEL, out -> out.str(name), in -> existed[shard] = in.u8() != 0, gather);
    }
    return gather.map(v -> {
      for (boolean e : existed) {
        if (e) {
          return true;
        }
      }
      return false;
    });
  }

  /**
   * Copies {@code model} as these shards hold it to the shards {@code onto} reaches, as model {@code name} sliced over
   * their count: its values, optimizer state, penalty, clock and per-worker counts, so pushes there go on as they
   * would have here. Pushes to it must be paused meanwhile: one applied here after its rows were read is not in the
   * copy. The copy is made there (or overwritten, where a model of that name and slicing is), a piece at a time, each
   * within one of the shards' frames.
   *
   * @throws IllegalArgumentException when a slice of {@code onto}'s would span two of these: its shard count must be
   *     a multiple of this client's (the rows split evenly, a slice then lies within one)
   */
  public PsModel copyModel(PsModel model, PsClient onto, String name) {
    int rows = model.spec().rows();
    int cols = model.spec().cols();
    int[] here = PsModel.rowBounds(rows, shards.length);
    int[] there = PsModel.rowBounds(rows, onto.shards.length);
    for (int bound : here) {
      if (Arrays.binarySearch(there, bound) < 0) {
        throw new IllegalArgumentException("model '" + model.name() + "' on " + shards.length + " shards can not be"
            + " copied onto " + onto.shards.length + ": each slice there must lie within one here, so their count must"
            + " be a multiple of " + shards.length);
      }
    }
    PsModel copy = onto.createModel(name, model.spec());
    int frame = Math.min(smallestFrame(), onto.smallestFrame()) - COPY_FRAME_RESERVE;
    int rowsAPiece = Math.max(1, frame / (8 * cols));
    // pieces go at once, each loaded as it is read, a few in flight: what the copy holds is bounded
    Semaphore room = new Semaphore(COPY_PIECES_IN_FLIGHT);
    List<CompletableFuture<Void>> pieces = new ArrayList<>();
    int target = 0;
    for (int s = 0; s < shards.length; s++) {
      for (int row = here[s]; row < here[s + 1]; ) {
        while (there[target + 1] <= row) {
          target++;
        }
        int count = Math.min(rowsAPiece, Math.min(here[s + 1], there[target + 1]) - row);
        int shard = s;
        int into = target;
        int from = row;
        room.acquireUninterruptibly();
        CompletableFuture<Void> piece = rowsHeld(model, shard, from, count)
            .thenCompose(held -> onto.loadRows(copy, into, from, held, from == here[shard]));
        piece.whenComplete((done, failure) -> room.release());
        pieces.add(piece);
        row += count;
      }
    }
    try {
      CompletableFuture.allOf(pieces.toArray(CompletableFuture[]::new)).join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof PsException p ? p
          : new PsException("copying model '" + model.name() + "' failed", e.getCause());
    }
    return copy;
  }

  /** Room a piece of {@link #copyModel} leaves in a frame for its header and per-worker counts. */
  private static final int COPY_FRAME_RESERVE = 32 << 10;
  /** Pieces of {@link #copyModel} read or loaded at once: at most this many frames of the model in the client. */
  private static final int COPY_PIECES_IN_FLIGHT = 4;

  /** What {@link Wire#ROWS_HELD} answered: rows of a model as a shard holds them, and the slice's counters. */
  private record HeldRows(long changes, long clock, float l2, Map<Integer, Long> updatesByWorker, float[] values,
      float[] state) {}

  private CompletableFuture<HeldRows> rowsHeld(PsModel model, int shard, int from, int count) {
    int floats = count * model.spec().cols();
    HeldRows[] held = new HeldRows[1];
    Gather<Void> gather = new Gather<>(null, 1);
    shards[shard].send(Wire.ROWS_HELD, out -> out.i32(model.shardModelId(shard)).i32(from).i32(count), in -> {
      long changes = in.i64();
      long clock = in.i64();
      float l2 = in.f32();
      Map<Integer, Long> counts = in.updateCounts();
      float[] values = new float[floats];
      in.floats(values, 0, floats);
      float[] state = null;
      if (in.u8() != 0) {
        state = new float[floats];
        in.floats(state, 0, floats);
      }
      held[0] = new HeldRows(changes, clock, l2, counts, values, state);
    }, gather);
    return gather.future.thenApply(v -> held[0]);
  }

  /** Loads {@code held} into rows from {@code from} of {@code model}; {@code withCounts}: its slice's counters too. */
  private CompletableFuture<Void> loadRows(PsModel model, int shard, int from, HeldRows held, boolean withCounts) {
    Map<Integer, Long> counts = withCounts ? held.updatesByWorker() : Map.of();
    Gather<Void> gather = new Gather<>(null, 1);
    shards[shard].send(Wire.LOAD_ROWS, out -> {
      out.i32(model.shardModelId(shard)).i32(from).i32(held.values().length / model.spec().cols())
          .i64(held.changes()).i64(withCounts ? held.clock() : 0).f32(held.l2()).updateCounts(counts);
      out.floats(held.values(), 0, held.values().length).u8(held.state() == null ? 0 : 1);
      if (held.state() != null) {
        out.floats(held.state(), 0, held.state().length);
      }
    }, in -> {}, gather);
    return gather.future;
  }

  private int smallestFrame() {
    int smallest = Integer.MAX_VALUE;
    for (ShardLink shard : shards) {
      smallest = Math.min(smallest, shard.maxFrameBytes());
    }
    return smallest;
  }

  /**
   * The rows named by {@code sortedKeys} (strictly ascending), {@code cols} floats each, in key order. Keys are sent
   * delta-coded, one request per shard that holds some of them.
   */
  public CompletableFuture<float[]> pull(PsModel model, int[] sortedKeys) {
    int cols = model.spec().cols();
    int[] splits;
    try {
      splits = splitByShard(model, sortedKeys);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    float[] result = new float[sortedKeys.length * cols];
    Gather<float[]> gather = new Gather<>(result, nonEmptySlices(splits));
    boolean halves = wireValues == WireValues.FLOAT16;
    for (int s = 0; s < shards.length; s++) {
      int from = splits[s];
      int to = splits[s + 1];
      if (from < to) {
        int modelId = model.shardModelId(s);
        if (halves) {
          shards[s].sendPull(Wire.PULL_HALVES, modelId, sortedKeys, from, to,
              in -> in.halves(result, from * cols, (to - from) * cols), gather);
        } else {
          shards[s].sendPull(Wire.PULL, modelId, sortedKeys, from, to,
              in -> in.floats(result, from * cols, (to - from) * cols), gather);
        }
      }
    }
    return gather.future;
  }

  /**
   * Pushes a sparse gradient: {@code gradient} holds one row of {@code cols} floats per key, in key order. Each shard
   * applies the model's optimizer to its rows; the push counts once in the model's clock and the worker's count. A push
   * for the keys one of the last few pulls on a shard's connection asked for (the usual pull, compute, push of a
   * minibatch) names that pull instead of sending the keys again.
   */
  public CompletableFuture<Void> push(PsModel model, int[] sortedKeys, float[] gradient) {
    int cols = model.spec().cols();
    if (gradient.length != (long) sortedKeys.length * cols) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("push to '" + model.name() + "': "
          + sortedKeys.length + " keys x " + cols + " cols need " + (long) sortedKeys.length * cols
          + " gradient floats, got " + gradient.length));
    }
    int[] splits;
    try {
      splits = splitByShard(model, sortedKeys);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    int slices = nonEmptySlices(splits);
    Gather<Void> gather = new Gather<>(null, Math.max(1, slices));
    boolean halves = wireValues == WireValues.FLOAT16;
    boolean first = true;
    for (int s = 0; s < shards.length; s++) {
      int from = splits[s];
      int to = splits[s + 1];
      if (from < to || (slices == 0 && s == 0)) {
        int modelId = model.shardModelId(s);
        int countsAsUpdate = first ? 1 : 0;
        first = false;
        shards[s].sendPush(halves ? Wire.PUSH_HALVES : Wire.PUSH,
            halves ? Wire.PUSH_PULLED_KEYS_HALVES : Wire.PUSH_PULLED_KEYS, modelId, countsAsUpdate, sortedKeys, from,
            to, out -> {
              if (halves) {
                out.halves(gradient, from * cols, (to - from) * cols);
              } else {
                out.floats(gradient, from * cols, (to - from) * cols);
              }
            }, gather);
      }
    }
    return gather.future;
  }

  /** The whole model in row order ({@code rows * cols} floats), fetched in frame-sized ranges from every shard. */
  public CompletableFuture<float[]> pullAll(PsModel model) {
    int cols = model.spec().cols();
    long size = model.spec().size();
    float[] result = new float[(int) size];
    List<int[]> ranges = new ArrayList<>(); // {shard, fromRow, rowCount}
    for (int s = 0; s < shards.length; s++) {
      int rowsPerFrame = Math.max(1, (shards[s].maxFrameBytes() - 256) / (4 * cols));
      for (int row = model.rowStart(s); row < model.rowEnd(s); row += rowsPerFrame) {
        ranges.add(new int[] {s, row, Math.min(rowsPerFrame, model.rowEnd(s) - row)});
      }
    }
    Gather<float[]> gather = new Gather<>(result, ranges.size());
    for (int[] range : ranges) {
      int modelId = model.shardModelId(range[0]);
      shards[range[0]].send(Wire.PULL_RANGE, out -> out.i32(modelId).i32(range[1]).i32(range[2]),
          in -> in.floats(result, range[1] * cols, range[2] * cols), gather);
    }
    return gather.future;
  }

  /**
   * Sets the model's L2 penalty on every shard, from each one's next push on (a shard that restarts goes back to the
   * spec's, so a caller that changed it sets it again); with {@code freshRates} the optimizer's state starts again,
   * its steps as large as a new model's.
   */
  public CompletableFuture<Void> setL2(PsModel model, float l2, boolean freshRates) {
    Gather<Void> gather = new Gather<>(null, shards.length);
    for (int s = 0; s < shards.length; s++) {
      int modelId = model.shardModelId(s);
      shards[s].send(Wire.SET_L2, out -> out.i32(modelId).f32(l2).u8(freshRates ? 1 : 0), in -> {}, gather);
    }
    return gather.future;
  }

  /** The model's clock and per-worker push counts, summed over its shards. */
  public CompletableFuture<ModelStatus> status(PsModel model) {
    long[] clock = new long[1];
    Map<Integer, Long> counts = new TreeMap<>();
    Gather<Void> gather = new Gather<>(null, shards.length);
    for (int s = 0; s < shards.length; s++) {
      int modelId = model.shardModelId(s);
      shards[s].send(Wire.MODEL_STATUS, out -> out.i32(modelId), in -> {
        long shardClock = in.i64();
        Map<Integer, Long> shardCounts = in.updateCounts();
        synchronized (counts) {
          clock[0] += shardClock;
          shardCounts.forEach((worker, updates) -> counts.merge(worker, updates, Long::sum));
        }
      }, gather);
    }
    return gather.map(v -> {
      synchronized (counts) {
        return new ModelStatus(clock[0], Collections.unmodifiableMap(new TreeMap<>(counts)));
      }
    });
  }

  /**
   * Has every shard write its slice of the model to its checkpoint location; completes with the model's clock as
   * snapshotted. A shard restarted with the same checkpoint location resumes from it.
   */
  public CompletableFuture<Long> snapshot(PsModel model) {
    return clockCall(Wire.SNAPSHOT, model);
  }

  /** Has every shard reload its slice from its last snapshot; completes with the restored clock. */
  public CompletableFuture<Long> restore(PsModel model) {
    return clockCall(Wire.RESTORE, model);
  }

  private CompletableFuture<Long> clockCall(byte opcode, PsModel model) {
    long[] clock = new long[1];
    Gather<Void> gather = new Gather<>(null, shards.length);
    for (int s = 0; s < shards.length; s++) {
      int modelId = model.shardModelId(s);
      shards[s].send(opcode, out -> out.i32(modelId), in -> {
        long shardClock = in.i64();
        synchronized (clock) {
          clock[0] += shardClock;
        }
      }, gather);
    }
    return gather.map(v -> {
      synchronized (clock) {
        return clock[0];
      }
    });
  }

  /** Where each shard's slice of {@code keys} starts: shard s gets {@code keys[splits[s], splits[s+1])}. */
  private int[] splitByShard(PsModel model, int[] keys) {
    checkSorted(keys);
    int[] splits = new int[shards.length + 1];
    int at = 0;
    for (int s = 0; s < shards.length; s++) {
      splits[s] = at;
      int end = s == shards.length - 1 ? Integer.MAX_VALUE : model.rowEnd(s);
      while (at < keys.length && keys[at] < end) {
        at++;
      }
    }
    splits[shards.length] = keys.length;
    return splits;
  }

  /** Checks that {@code keys} are strictly ascending and non-negative, as every pull and push requires. */
  private static void checkSorted(int[] keys) {
    int previous = -1;
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] <= previous) {
        throw new IllegalArgumentException(
            keys[i] < 0
                ? "key " + keys[i] + " at index " + i + " is negative"
                : "keys must be strictly ascending: keys[" + (i - 1) + "]=" + previous + ", keys[" + i + "]="
                    + keys[i]);
      }
      previous = keys[i];
    }
  }

  private static int nonEmptySlices(int[] splits) {
    int n = 0;
    for (int s = 0; s + 1 < splits.length; s++) {
      if (splits[s] < splits[s + 1]) {
        n++;
      }
    }
    return n;
  }

  // ---- key-value ---------------------------------------------------------------------------------------------

  private ShardLink shardOf(String key) {
    return shards[Math.floorMod(key.hashCode(), shards.length)];
  }

  public CompletableFuture<Void> put(String key, byte[] value) {
    Gather<Void> gather = new Gather<>(null, 1);
    shardOf(key).send(Wire.KV_PUT, out -> out.str(key).bytes(value), in -> {}, gather);
    return gather.future;
  }

  /** The value under {@code key}, or null when there is none. */
  public CompletableFuture<byte[]> get(String key) {
    Gather<byte[]> gather = new Gather<>(null, 1);
    shardOf(key).send(Wire.KV_GET, out -> out.str(key), in -> gather.set(readValue(in)), gather);
    return gather.future;
  }

  /** The values under {@code keys}, in the same order (null where absent): one request per shard involved. */
  public CompletableFuture<List<byte[]>> multiGet(List<String> keys) {
    byte[][] values = new byte[keys.size()][];
    List<List<Integer>> positionsByShard = new ArrayList<>();
    for (int s = 0; s < shards.length; s++) {
      positionsByShard.add(new ArrayList<>());
    }
    for (int i = 0; i < keys.size(); i++) {
      positionsByShard.get(Math.floorMod(keys.get(i).hashCode(), shards.length)).add(i);
    }
    int slices = (int) positionsByShard.stream().filter(p -> !p.isEmpty()).count();
    Gather<Void> gather = new Gather<>(null, slices);
    for (int s = 0; s < shards.length; s++) {
      List<Integer> positions = positionsByShard.get(s);
      if (!positions.isEmpty()) {
        shards[s].send(Wire.KV_MULTI_GET, out -> {
          out.i32(positions.size());
          for (int position : positions) {
            out.str(keys.get(position));
          }
        }, in -> {
          for (int position : positions) {
            values[position] = readValue(in);
          }
        }, gather);
      }
    }
    return gather.map(v -> Arrays.asList(values));
  }

  /**
   * The value under {@code key} (null when absent) once a call writes or deletes it, at once when it is not {@code
   * seen} (null: absent), or when {@code maxWaitMillis} (0 to 60,000) have passed, whatever it is then. The shard
   * holds the request until then, so a caller learns of a change within a round trip, and neither side spends
   * anything meanwhile; a caller that waits for a particular value compares and waits again.
   */
  public CompletableFuture<byte[]> awaitChange(String key, byte[] seen, int maxWaitMillis) {
    Gather<byte[]> gather = new Gather<>(null, 1);
    shardOf(key).send(Wire.KV_AWAIT, out -> {
      out.str(key).i32(maxWaitMillis).u8(seen == null ? 0 : 1);
      if (seen != null) {
        out.bytes(seen);
      }
    }, in -> gather.set(readValue(in)), gather);
    return gather.future;
  }

  /** Deletes {@code key}; completes with whether it existed. */
  public CompletableFuture<Boolean> delete(String key) {
    Gather<Boolean> gather = new Gather<>(false, 1);
    shardOf(key).send(Wire.KV_DELETE, out -> out.str(key), in -> gather.set(in.u8() != 0), gather);
    return gather.future;
  }

  /**
   * Adds {@code delta} element-wise to the float vector under {@code key} (created as zeros when absent), atomically
   * with respect to every other call; completes with the sum.
   */
  public CompletableFuture<float[]> add(String key, float[] delta) {
    Gather<float[]> gather = new Gather<>(null, 1);
    shardOf(key).send(Wire.KV_ADD, out -> out.str(key).floatArray(delta), in -> gather.set(in.floats()), gather);
    return gather.future;
  }

  /** The keys starting with {@code prefix} on every shard, sorted. */
  public CompletableFuture<List<String>> list(String prefix) {
    List<String> keys = new ArrayList<>();
    Gather<Void> gather = new Gather<>(null, shards.length);
    for (ShardLink shard : shards) {
      shard.send(Wire.KV_LIST, out -> out.str(prefix), in -> {
        int n = in.count(4);
        List<String> found = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          found.add(in.str());
        }
        synchronized (keys) {
          keys.addAll(found);
        }
      }, gather);
    }
    return gather.map(v -> {
      synchronized (keys) {
        List<String> sorted = new ArrayList<>(keys);
        sorted.sort(null);
        return sorted;
      }
    });
  }

  private static byte[] readValue(FrameIn in) throws MalformedFrameException {
    return in.u8() == 0 ? null : in.bytes();
  }

  // ---- operations ----------------------------------------------------------------------------------------------

  /** Every shard's counters, in shard order. */
  public CompletableFuture<List<ShardMetrics>> metrics() {
    ShardMetrics[] metrics = new ShardMetrics[shards.length];
    Gather<Void> gather = new Gather<>(null, shards.length);
    for (int s = 0; s < shards.length; s++) {
      int shard = s;
      shards[s].send(Wire.METRICS, out -> {}, in -> metrics[shard] = in.metrics(), gather);
    }
    return gather.map(v -> List.of(metrics));
  }

  /** Closes every connection; calls still in flight fail. */
  @Override
  public void close() {
    for (ShardLink shard : shards) {
      if (shard != null) {
        shard.close();
      }
    }
  }
}
