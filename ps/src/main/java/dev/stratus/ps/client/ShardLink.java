package dev.stratus.ps.client;

import dev.stratus.ps.PsException;
import dev.stratus.ps.ShardUnreachableException;
import dev.stratus.ps.tls.ShardTls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shard as a client sees it across connections: the current {@link ShardConnection}, and a new one dialled (the
 * handshake and TLS redone) once it is lost, so that a shard restarted on its address is used again. Calls in flight
 * on a lost connection fail with it; the next call redials, backing off from {@link #FIRST_BACKOFF_NANOS} to
 * {@link #MAX_BACKOFF_NANOS} between attempts, for at most the reconnect bound, past which it fails with a
 * {@link ShardUnreachableException} naming the shard and its address; from then on every call to the shard fails at
 * once with it (a client that gave up does not make each later call wait the bound again).
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

  /** Sends on the current connection, redialling first if it was lost; never throws (see ShardConnection.send). */
  void send(byte opcode, ShardConnection.BodyWriter body, ShardConnection.ReplyReader reply, Gather<?> gather) {
    ShardConnection connection = current;
    if (connection.lost()) {
      try {
        connection = redial(connection);
      } catch (PsException e) {
        gather.fail(e);
        return;
      }
    }
    connection.send(opcode, body, reply, gather);
  }

  /** The frame limit of the shard, as its current connection learned it. */
  int maxFrameBytes() {
    return current.maxFrameBytes();
  }

  /** A new connection in place of {@code lost}, unless another call made one already. */
  private synchronized ShardConnection redial(ShardConnection lost) {
    if (current != lost) {
      return current;
    }
    if (gaveUpWith != null) {
      throw gaveUpWith;
    }
    long start = System.nanoTime();
    long backoff = FIRST_BACKOFF_NANOS;
    long loggedAt = start - LOG_EVERY_NANOS;
    Exception last = lost.failure();
    for (int attempt = 1; ; attempt++) {
      if (closed) {
        throw closedError();
      }
      try {
        ShardConnection dialled = dial();
        current = dialled;
        if (closed) { // closed while it dialled: close() may have closed the lost one only
          dialled.close();
          throw closedError();
        }
        LOG.info("reconnected to shard {} at {} after {} attempts in {} ms", shard, address, attempt,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        return current;
      } catch (IOException | PsException e) {
        last = e;
      }
      long now = System.nanoTime();
      if (now - start >= reconnectBoundNanos) {
        gaveUpWith = new ShardUnreachableException("shard " + shard + " at " + address + " lost and not reachable"
            + " again within " + String.format(Locale.ROOT, "%.1f", reconnectBoundNanos / 1e9) + " s (" + attempt
            + " attempts): " + last.getMessage(), last);
        throw gaveUpWith;
      }
      if (now - loggedAt >= LOG_EVERY_NANOS) {
        loggedAt = now;
        LOG.warn("shard {} at {} lost; redialling (attempt {}, {} ms so far): {}", shard, address, attempt,
            TimeUnit.NANOSECONDS.toMillis(now - start), last.getMessage());
      }
      try {
        TimeUnit.NANOSECONDS.sleep(Math.min(backoff, reconnectBoundNanos - (now - start)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new PsException("interrupted while redialling shard " + shard + " at " + address, e);
      }
      backoff = Math.min(2 * backoff, MAX_BACKOFF_NANOS);
    }
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
