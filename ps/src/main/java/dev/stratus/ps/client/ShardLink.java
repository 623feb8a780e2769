package dev.stratus.ps.client;

import dev.stratus.ps.PsException;
import dev.stratus.ps.ShardUnreachableException;
import dev.stratus.ps.tls.ShardTls;
import dev.stratus.ps.wire.FrameOut;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shard as a client sees it across connections: the current {@link ShardConnection}, and a new one dialled (the
 * handshake and TLS redone) once it is lost, so that a shard restarted on its address is used again. Calls in flight
 * on a lost connection fail with it. The next call starts a redial on a thread of its own and returns at once (a call
 * may come from a reply's callback, on another shard's reader, which must not stall): its request, encoded as it
 * was called, goes out on the new connection, as do the calls made while the redial runs. The redial backs off from
 * {@link #FIRST_BACKOFF_NANOS} to {@link #MAX_BACKOFF_NANOS} between attempts for at most the reconnect bound, past
 * which those calls fail with a {@link ShardUnreachableException} naming the shard and its address; from then on
 * every call to the shard fails at once with it (a client that gave up does not make each later call wait the bound
 * again).
 */
final class ShardLink implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PsClient.class);
  private static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** Attempts are logged at most this often, so that a shard down for long does not flood the log. */
  private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final int shard;
  private final InetSocketAddress address;
  private final byte[] handshakeKey;
  private final ShardTls.Client tls;
  private final int workerId;
  private final LongAdder bytesSent;
  private final LongAdder bytesReceived;
  private final long reconnectBoundNanos;
  private volatile ShardConnection current;
  private volatile boolean closed;
  private ShardUnreachableException gaveUpWith; // guarded by this; null until a redial gave up
  private boolean redialling; // guarded by this
  private final List<Waiting> waiting = new ArrayList<>(); // guarded by this: calls made while a redial runs

  /** Connects at once; a shard that cannot be reached now fails the client's creation. */
  ShardLink(int shard, InetSocketAddress address, byte[] handshakeKey, ShardTls.Client tls, int workerId,
      LongAdder bytesSent, LongAdder bytesReceived, Duration reconnectBound) throws IOException {
    this.shard = shard;
    this.address = address;
    this.handshakeKey = handshakeKey;
    this.tls = tls;
    this.workerId = workerId;
    this.bytesSent = bytesSent;
    this.bytesReceived = bytesReceived;
    this.reconnectBoundNanos = reconnectBound.toNanos();
    this.current = dial();
  }

  private ShardConnection dial() throws IOException {
    return new ShardConnection(shard, address, handshakeKey, tls, workerId, bytesSent, bytesReceived);
  }

  /**
   * Sends on the current connection, or on the next one once a redial made it; never throws and never waits for a
   * redial (see ShardConnection.send).
   */
  void send(byte opcode, ShardConnection.BodyWriter body, ShardConnection.ReplyReader reply, Gather<?> gather) {
    ShardConnection connection = current;
    if (!connection.lost()) {
      connection.send(opcode, body, reply, gather);
      return;
    }
    // Encoded now: the caller may reuse its arrays once this returns.
    FrameOut encoded = new FrameOut(Integer.MAX_VALUE);
    body.write(encoded);
    Waiting call = new Waiting(opcode, encoded.toByteArray(), reply, gather);
    ShardConnection lost = connection;
    PsException failed;
    synchronized (this) {
      if (current == lost && gaveUpWith == null) {
        waiting.add(call);
        if (!redialling) {
          redialling = true;
          Thread dialler = new Thread(() -> redial(lost), "ps-redial-" + shard + "-" + address.getPort());
          dialler.setDaemon(true);
          dialler.start();
        }
        return;
      }
      connection = current;
      failed = gaveUpWith;
    }
    if (failed != null) {
      gather.fail(failed);
    } else {
      call.sendOn(connection);
    }
  }

  /** A pull on the current connection (see ShardConnection.sendPull); as any call while the shard is redialled. */
  void sendPull(byte opcode, int modelId, int[] sortedKeys, int from, int to, ShardConnection.ReplyReader reply,
      Gather<?> gather) {
    ShardConnection connection = current;
    if (connection.lost()) {
      send(opcode, ShardConnection.pullBody(modelId, sortedKeys, from, to), reply, gather);
    } else {
      connection.sendPull(opcode, modelId, sortedKeys, from, to, reply, gather);
    }
  }

  /**
   * A push on the current connection (see ShardConnection.sendPush); while the shard is redialled, with its keys:
   * the new connection remembers no pull.
   */
  void sendPush(byte opcode, byte pulledOpcode, int modelId, int countsAsUpdate, int[] sortedKeys, int from, int to,
      ShardConnection.BodyWriter values, Gather<?> gather) {
    ShardConnection connection = current;
    if (connection.lost()) {
      send(opcode, ShardConnection.pushBody(modelId, countsAsUpdate, sortedKeys, from, to, values), in -> {}, gather);
    } else {
      connection.sendPush(opcode, pulledOpcode, modelId, countsAsUpdate, sortedKeys, from, to, values, gather);
    }
  }

  /** A call made while its shard is redialled, sent in order once it is back. */
  private record Waiting(byte opcode, byte[] body, ShardConnection.ReplyReader reply, Gather<?> gather) {
    void sendOn(ShardConnection connection) {
      connection.send(opcode, out -> out.raw(body), reply, gather);
    }
  }

  /** The frame limit of the shard, as its current connection learned it. */
  int maxFrameBytes() {
    return current.maxFrameBytes();
  }

  /**
   * Dials until a new connection is made, the bound passes or the link is closed, on a thread of its own; then sends
   * the calls that waited, in the order they were made, before later calls may use the new connection.
   */
  private void redial(ShardConnection lost) {
    long start = System.nanoTime();
    long backoff = FIRST_BACKOFF_NANOS;
    long loggedAt = start - LOG_EVERY_NANOS;
    Exception last = lost.failure();
    for (int attempt = 1; ; attempt++) {
      if (closed) {
        giveUp(closedError());
        return;
      }
      try {
        ShardConnection dialled = dial();
        if (closed) { // closed while it dialled: close() may have closed the lost one only
          dialled.close();
          giveUp(closedError());
          return;
        }
        LOG.info("reconnected to shard {} at {} after {} attempts in {} ms", shard, address, attempt,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        sendWaitingOn(dialled);
        return;
      } catch (IOException | PsException e) {
        last = e;
      }
      long now = System.nanoTime();
      if (now - start >= reconnectBoundNanos) {
        giveUp(new ShardUnreachableException("shard " + shard + " at " + address + " lost and not reachable again "
            + "within " + String.format(Locale.ROOT, "%.1f", reconnectBoundNanos / 1e9) + " s (" + attempt
            + " attempts): " + last.getMessage(), last));
        return;
      }
      if (now - loggedAt >= LOG_EVERY_NANOS) {
        loggedAt = now;
        LOG.warn("shard {} at {} lost; redialling (attempt {}, {} ms so far): {}", shard, address, attempt,
            TimeUnit.NANOSECONDS.toMillis(now - start), last.getMessage());
      }
      LockSupport.parkNanos(this, Math.min(backoff, reconnectBoundNanos - (now - start)));
      backoff = Math.min(2 * backoff, MAX_BACKOFF_NANOS);
    }
  }

  private void sendWaitingOn(ShardConnection dialled) {
    while (true) {
      List<Waiting> batch;
      synchronized (this) {
        if (waiting.isEmpty()) {
          current = dialled;
          redialling = false;
          return;
        }
        batch = new ArrayList<>(waiting);
        waiting.clear();
      }
      batch.forEach(call -> call.sendOn(dialled));
    }
  }

  /** Fails the calls that waited; an unreachable shard fails every later call at once too. */
  private void giveUp(PsException why) {
    List<Waiting> failed;
    synchronized (this) {
      if (why instanceof ShardUnreachableException unreachable) {
        gaveUpWith = unreachable;
      }
      failed = new ArrayList<>(waiting);
      waiting.clear();
      redialling = false;
    }
    failed.forEach(call -> call.gather().fail(why));
  }

  private PsException closedError() {
    return new PsException("the client's connection to shard " + shard + " at " + address + " is closed");
  }

  /** Closes the connection; a redial in progress gives up. */
  @Override
  public void close() {
    closed = true;
    current.close();
  }
}
