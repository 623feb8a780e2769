package dev.stratus.ps.server;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.PsException;
import dev.stratus.ps.wire.FrameIn;
import dev.stratus.ps.wire.FrameOut;
import dev.stratus.ps.wire.MalformedFrameException;
import dev.stratus.ps.wire.Wire;
import dev.stratus.store.StoreException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Serves the requests of one authenticated connection: decodes each request body, calls the shard's models,
 * key-value store or snapshots, and encodes the reply. Runs on the connection's event-loop thread; a request the
 * shard cannot honour gets an error reply, a malformed one throws {@link MalformedFrameException}.
 */
final class Requests {
  /** The replies the connection writes later, from its event loop. */
  interface LaterReplies {
    /** Runs a call that waits on the object store off the event loop, and replies with the clock it returns. */
    void submit(int requestId, LongSupplier call);

    /**
     * Replies with the value under {@code key} once it is written (when it is not {@code seen}, at once) or after
     * {@code maxWaitMillis}.
     */
    void whenChanged(int requestId, String key, byte[] seen, int maxWaitMillis);
  }

  /** The longest a {@link Wire#KV_AWAIT} may wait. */
  static final int MAX_AWAIT_MILLIS = 60_000;

  private final ShardParts shard;
  private final int workerId;
  private final LaterReplies later;
  private int[] keys = new int[1024]; // scratch for decoded key sets: count at 0, keys at 1..n
  private byte[] widened = new byte[0]; // scratch: a half-precision push's gradient as float32
  private final FrameIn widenedIn = new FrameIn();
  private final RecentPulls pulls = new RecentPulls();
  private LongAdder[] workerCounters = new LongAdder[0]; // by model id: this worker's push count

  Requests(ShardParts shard, int workerId, LaterReplies later) {
    this.shard = shard;
    this.workerId = workerId;
    this.later = later;
  }

  /**
   * Serves one request whose body {@code body} holds, appending its reply to {@code r}; a store call is answered
   * later, by {@link LaterReplies}, which then calls {@link #answered}, and so is a wait for a key's change (counted
   * as answered now: it waits on no one's work).
   */
  void serve(byte opcode, int requestId, FrameIn body, FrameOut r) throws MalformedFrameException {
    shard.counters().queueDepth.incrementAndGet();
    boolean answeredLater = false;
    try {
      switch (opcode) {
        case Wire.PULL -> pull(requestId, body, r, false);
        case Wire.PUSH -> push(requestId, body, r, false);
        case Wire.PULL_HALVES -> pull(requestId, body, r, true);
        case Wire.PUSH_HALVES -> push(requestId, body, r, true);
        case Wire.PUSH_PULLED_KEYS -> pushPulledKeys(requestId, body, r, false);
        case Wire.PUSH_PULLED_KEYS_HALVES -> pushPulledKeys(requestId, body, r, true);
        case Wire.SNAPSHOT, Wire.RESTORE -> {
          ServerModel model = shard.models().get(body.i32());
          body.expectEnd();
          Snapshots snapshots = shard.snapshots();
          later.submit(requestId,
              opcode == Wire.SNAPSHOT ? () -> snapshots.snapshot(model) : () -> snapshots.restore(model));
          answeredLater = true;
        }
        case Wire.KV_AWAIT -> {
          String key = body.str();
          int maxWaitMillis = body.i32();
          byte[] seen = body.u8() == 0 ? null : body.bytes();
          body.expectEnd();
          if (maxWaitMillis < 0 || maxWaitMillis > MAX_AWAIT_MILLIS) {
            throw new BadRequest("a wait for key '" + key + "' of " + maxWaitMillis + " ms: waits are 0 to "
                + MAX_AWAIT_MILLIS + " ms");
          }
          later.whenChanged(requestId, key, seen, maxWaitMillis);
        }
        default -> serveSmall(opcode, requestId, body, r);
      }
    } catch (BadRequest | IllegalArgumentException | StoreException | PsException e) {
      r.abandonFrame();
      r.begin(Wire.REPLY_ERROR, requestId).str(e.getMessage()).end();
    } finally {
      if (!answeredLater) {
        answered(shard.counters());
      }
    }
  }

  static void answered(ShardCounters counters) {
    counters.queueDepth.decrementAndGet();
    counters.requests.increment();
  }

  /**
   * A pull; its rows as float32, or as {@link dev.stratus.ps.wire.Half}s when {@code halves}. Its keys are remembered
   * whatever the answer, as the client remembers every pull it sends, for a push to name them (see {@link
   * Wire#PUSH_PULLED_KEYS}).
   */
  private void pull(int requestId, FrameIn body, FrameOut r, boolean halves) throws MalformedFrameException {
    int modelId = body.i32();
    keys = body.keys(keys);
    pulls.remember(requestId, modelId, keys);
    ServerModel model = shard.models().get(modelId);
    body.expectEnd();
    checkRows(model, keys);
    long replyBytes = (long) keys[0] * model.spec.cols() * (halves ? 2 : 4);
    if (replyBytes > shard.config().maxFrameBytes() - 64) {
      throw new BadRequest("a pull of " + keys[0] + " rows (" + replyBytes + " bytes) exceeds the frame limit of "
          + shard.config().maxFrameBytes() + " bytes: pull fewer keys at a time");
    }
    r.begin(Wire.REPLY_OK, requestId);
    model.pull(keys, r, halves);
    r.end();
  }

  /** A push with its own keys; its gradient as float32, or as halves when {@code halves}. */
  private void push(int requestId, FrameIn body, FrameOut r, boolean halves) throws MalformedFrameException {
    ServerModel model = shard.models().get(body.i32());
    boolean countsAsUpdate = body.u8() != 0;
    keys = body.keys(keys);
    apply(requestId, model, countsAsUpdate, keys, body, r, halves);
  }

  /** A push naming the keys of one of this connection's recent pulls instead of sending them again. */
  private void pushPulledKeys(int requestId, FrameIn body, FrameOut r, boolean halves)
      throws MalformedFrameException {
    int modelId = body.i32();
    ServerModel model = shard.models().get(modelId);
    boolean countsAsUpdate = body.u8() != 0;
    int pullId = body.i32();
    int[] pulled = pulls.keysOf(pullId, modelId);
    if (pulled == null) {
      throw new BadRequest("a push to '" + model.name + "' names the keys of pull " + pullId + ", which is not among"
          + " this connection's last " + RecentPulls.REMEMBERED + " pulls of that model");
    }
    apply(requestId, model, countsAsUpdate, pulled, body, r, halves);
  }

  /** Applies the gradient rows in the rest of {@code body} to rows {@code pushed[1..n]}, widening halves first. */
  private void apply(int requestId, ServerModel model, boolean countsAsUpdate, int[] pushed, FrameIn body,
      FrameOut r, boolean halves) throws MalformedFrameException {
    int n = pushed[0];
    int valueBytes = halves ? 2 : 4;
    long expected = (long) n * model.spec.cols() * valueBytes;
    if (body.remaining() != expected) {
      throw new BadRequest("push to '" + model.name + "' has " + n + " keys x " + model.spec.cols()
          + " cols but " + body.remaining() / (double) valueBytes + " gradient values");
    }
    checkRows(model, pushed);
    FrameIn gradient = body;
    if (halves) {
      int values = n * model.spec.cols();
      if (widened.length < 4 * values) {
        widened = new byte[Math.max(4 * values, 2 * widened.length)];
      }
      body.halvesAsFloatBytes(widened, values);
      widenedIn.reset(widened, 0, 4 * values);
      gradient = widenedIn;
    }
    model.push(pushed, gradient, countsAsUpdate ? workerCounter(model) : null);
    shard.counters().updates.increment();
    shard.counters().keysUpdated.add(n);
    r.begin(Wire.REPLY_OK, requestId).end();
  }

  private void checkRows(ServerModel model, int[] keys) {
    String error = model.checkRows(keys);
    if (error != null) {
      throw new BadRequest(error);
    }
  }

  private LongAdder workerCounter(ServerModel model) {
    if (model.id >= workerCounters.length) {
      workerCounters = Arrays.copyOf(workerCounters, model.id + 8);
    }
    LongAdder counter = workerCounters[model.id];
    if (counter == null) {
      counter = model.updatesOf(workerId);
      workerCounters[model.id] = counter;
    }
    return counter;
  }

  /** The calls whose reply is small or bounded by the request. */
  /**
   * Room a {@link Wire#ROWS_HELD} reply keeps for its per-worker counts: 12 bytes a worker id, for many more workers
   * than a training runs.
   */
  static final int ROWS_HELD_COUNTS_BYTES = 16 << 10;

  /**
   * Checks that rows {@code from..from+count} are this shard's of {@code model} and, at {@code bytesPerValue}, fit in
   * a reply of {@code limit} bytes.
   */
  private static void checkRange(ServerModel model, int from, int count, int bytesPerValue, int limit) {
    if (from < model.rowStart || count < 0 || (long) from + count > model.rowEnd) {
      throw new BadRequest("rows " + from + "+" + count + " are not within " + model.rowStart + ".."
          + model.rowEnd + " of '" + model.name + "' on this shard");
    }
    if ((long) count * model.spec.cols() * bytesPerValue > limit - 64) {
      throw new BadRequest("a range of " + count + " rows exceeds the frame limit");
    }
  }

  private void serveSmall(byte opcode, int requestId, FrameIn body, FrameOut r) throws MalformedFrameException {
    int maxFrameBytes = shard.config().maxFrameBytes();
    KvStore kv = shard.kv();
    switch (opcode) {
      case Wire.CREATE_MODEL -> {
        String name = body.str();
        ModelSpec spec = body.spec();
        int rowStart = body.i32();
        int rowEnd = body.i32();
        body.expectEnd();
        ServerModel model = shard.models().create(name, spec, rowStart, rowEnd);
        shard.snapshots().created(model);
        r.begin(Wire.REPLY_OK, requestId).i32(model.id).end();
      }
      case Wire.SET_L2 -> {
        ServerModel model = shard.models().get(body.i32());
        float l2 = body.f32();
        boolean freshRates = body.u8() != 0;
        body.expectEnd();
        if (!(l2 >= 0 && l2 < Float.POSITIVE_INFINITY)) {
          throw new BadRequest("l2 must be finite and >= 0, got " + l2);
        }
        model.setL2(l2, freshRates);
        r.begin(Wire.REPLY_OK, requestId).end();
      }
      case Wire.DELETE_MODEL -> {
        String name = body.str();
        body.expectEnd();
        boolean existed = shard.models().delete(name);
        if (existed) {
          shard.snapshots().deleted(name);
        }
        r.begin(Wire.REPLY_OK, requestId).u8(existed ? 1 : 0).end();
      }
      case Wire.PULL_RANGE -> {
        ServerModel model = shard.models().get(body.i32());
        int from = body.i32();
        int count = body.i32();
        body.expectEnd();
        checkRange(model, from, count, 4, maxFrameBytes);
        r.begin(Wire.REPLY_OK, requestId);
        model.pullRange(from, count, r);
        r.end();
      }
      case Wire.ROWS_HELD -> {
        ServerModel model = shard.models().get(body.i32());
        int from = body.i32();
        int count = body.i32();
        body.expectEnd();
        checkRange(model, from, count, 8, maxFrameBytes - ROWS_HELD_COUNTS_BYTES);
        r.begin(Wire.REPLY_OK, requestId);
        model.rowsHeld(from, count, r);
        r.end();
      }
      case Wire.LOAD_ROWS -> {
        ServerModel model = shard.models().get(body.i32());
        int from = body.i32();
        int count = body.i32();
        checkRange(model, from, count, 0, maxFrameBytes);
        model.loadRows(from, count, body);
        r.begin(Wire.REPLY_OK, requestId).end();
      }
      case Wire.MODEL_STATUS -> {
        ServerModel model = shard.models().get(body.i32());
        body.expectEnd();
        r.begin(Wire.REPLY_OK, requestId).i64(model.clock()).updateCounts(model.updatesByWorker()).end();
      }
      case Wire.KV_PUT -> {
        String key = body.str();
        byte[] value = body.bytes();
        body.expectEnd();
        kv.put(key, value);
        r.begin(Wire.REPLY_OK, requestId).end();
      }
      case Wire.KV_GET -> {
        String key = body.str();
        body.expectEnd();
        writeValue(r.begin(Wire.REPLY_OK, requestId), kv.get(key));
        r.end();
      }
      case Wire.KV_MULTI_GET -> {
        int n = body.count(4);
        List<String> keyList = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          keyList.add(body.str());
        }
        body.expectEnd();
        r.begin(Wire.REPLY_OK, requestId);
        for (String key : keyList) {
          writeValue(r, kv.get(key));
          if (r.currentFrameLength() > maxFrameBytes) {
            throw new BadRequest("the values of " + n + " keys exceed the frame limit: get fewer at a time");
          }
        }
        r.end();
      }
      case Wire.KV_DELETE -> {
        String key = body.str();
        body.expectEnd();
        r.begin(Wire.REPLY_OK, requestId).u8(kv.delete(key) ? 1 : 0).end();
      }
      case Wire.KV_ADD -> {
        String key = body.str();
        float[] delta = body.floats();
        body.expectEnd();
        r.begin(Wire.REPLY_OK, requestId).floatArray(kv.add(key, delta)).end();
      }
      case Wire.KV_LIST -> {
        String prefix = body.str();
        body.expectEnd();
        List<String> found = kv.list(prefix);
        r.begin(Wire.REPLY_OK, requestId).i32(found.size());
        for (String key : found) {
          r.str(key);
          if (r.currentFrameLength() > maxFrameBytes) {
            throw new BadRequest(found.size() + " keys start with '" + prefix + "', more than one reply can hold: "
                + "list a longer prefix");
          }
        }
        r.end();
      }
      case Wire.METRICS -> {
        body.expectEnd();
        r.begin(Wire.REPLY_OK, requestId).metrics(shard.metrics()).end();
      }
      case Wire.PING -> {
        body.expectEnd();
        r.begin(Wire.REPLY_OK, requestId).end();
      }
      case Wire.HELLO, Wire.PROOF -> throw new BadRequest("already authenticated");
      default -> throw new MalformedFrameException("unknown opcode " + opcode);
    }
  }

  static void writeValue(FrameOut r, byte[] value) {
    r.u8(value == null ? 0 : 1);
    if (value != null) {
      r.bytes(value);
    }
  }
}
