package dev.stratus.ps.server;

import dev.stratus.ps.wire.FrameIn;
import dev.stratus.ps.wire.FrameOut;
import dev.stratus.ps.wire.FrameReader;
import dev.stratus.ps.wire.Handshake;
import dev.stratus.ps.wire.MalformedFrameException;
import dev.stratus.ps.wire.Wire;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection to a shard, on its event-loop thread: reads frames, holds the handshake (HELLO, then a PROOF
 * of the job's secret, see {@link Handshake}, within the handshake timeout, among a limited number of connections
 * still handshaking), then hands requests to {@link Requests} and writes their replies.
 *
 * <p>Replies are collected while the bytes already received hold further requests and written once the batch is
 * served, so pipelined requests get one write. A peer that does not read its replies is not read from either
 * (once Netty's write buffer passes its high-water mark) until it catches up: what a connection holds stays bounded
 * by the write buffer's mark, one reply, and the frame being received.
 */
final class ServerConnection extends ChannelInboundHandlerAdapter implements Requests.LaterReplies {
  private static final Logger LOG = LoggerFactory.getLogger(PsServer.class);
  private static final int FLUSH_ABOVE = 64 << 10;
  /** Snapshot or restore calls of the shard waiting for the store; more are refused, not queued without bound. */
  private static final int MAX_STORE_CALLS = 256;
  /** Waits for a key's change one connection may hold; more are refused. */
  static final int MAX_AWAITS = 1024;
  /**
   * The first byte a TLS client sends (a handshake record); a frame's first byte is its length's highest, 0 for any
   * handshake frame.
   */
  private static final byte TLS_HANDSHAKE_RECORD = 0x16;

  /** HANDSHAKE awaits HELLO; CHALLENGED has answered it and awaits the worker's PROOF. */
  private enum State { REFUSED, HANDSHAKE, CHALLENGED, WORKER, CLOSED }

  private final ShardParts shard;
  private final ShardCounters counters;
  private final FrameReader reader;
  private final FrameOut replies;
  private ChannelHandlerContext ctx;
  private String peer;
  private State state = State.REFUSED;
  private ScheduledFuture<?> helloTimeout;
  private int worker; // from HELLO
  private byte[] expectedProof; // between HELLO and PROOF
  private Requests requests; // once authenticated
  private ByteBuf pending; // received and not yet served, while the peer is not reading its replies
  private boolean receivedAny;
  /** The connection's waits for a key's change not answered yet, by request id (each stops itself when run). */
  private final Map<Integer, Runnable> awaits = new HashMap<>();

  ServerConnection(ShardParts shard) {
    this.shard = shard;
    this.counters = shard.counters();
    this.reader = new FrameReader(1024, shard.frameBudget());
    this.replies = new FrameOut(shard.config().compressAbove());
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.peer = String.valueOf(ctx.channel().remoteAddress());
    int limit = shard.config().limits().maxHandshakes();
    if (counters.handshakes.incrementAndGet() > limit) {
      counters.handshakes.decrementAndGet();
      counters.badPeer("shard {}: refused connection from {}: {} connections are already waiting to prove the "
          + "secret (--max-handshakes)", counters.shard, peer, limit);
      ctx.close();
      return;
    }
    state = State.HANDSHAKE;
    int timeout = shard.config().limits().helloTimeoutMillis();
    helloTimeout = ctx.executor().schedule(() -> {
      if (handshaking()) {
        counters.badPeer("shard {}: closing connection from {}: did not prove the secret within {} ms",
            counters.shard, peer, timeout);
        closing();
        ctx.close();
      }
    }, timeout, TimeUnit.MILLISECONDS);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    if (!handshaking() && state != State.WORKER) {
      in.release();
      return;
    }
    if (!receivedAny && in.isReadable()) {
      receivedAny = true;
      if (in.getByte(in.readerIndex()) == TLS_HANDSHAKE_RECORD) {
        in.release();
        counters.badPeer("shard {}: refused connection from {}: it opens a TLS handshake, and this shard serves "
            + "plain frames (no --tls-cert): a client given a certificate for shards that serve TLS", counters.shard,
            peer);
        closing();
        ctx.close();
        return;
      }
    }
    pending = pending == null ? in : Unpooled.wrappedBuffer(pending, in);
    serveReceived();
  }

  /** Serves the frames in {@link #pending} until it is used up or the peer stops reading its replies. */
  private void serveReceived() {
    try {
      while (pending.isReadable() && (handshaking() || state == State.WORKER)) {
        if (!ctx.channel().isWritable()) {
          flush();
          ctx.channel().config().setAutoRead(false); // resumes in channelWritabilityChanged
          return;
        }
        int limit = state == State.WORKER ? shard.config().maxFrameBytes() : Wire.MAX_FRAME_BEFORE_HELLO;
        if (!reader.feed(pending, limit)) {
          break;
        }
        counters.bytesIn.add(reader.wireBytes());
        serveFrame();
        reader.next();
        reader.release();
        if (replies.size() > FLUSH_ABOVE) {
          flush();
        }
      }
      releasePending();
    } catch (MalformedFrameException e) {
      counters.badPeer("shard {}: closing connection from {}: {}", counters.shard, peer, e.getMessage());
      releasePending();
      flushAndClose();
    }
  }

  private boolean handshaking() {
    return state == State.HANDSHAKE || state == State.CHALLENGED;
  }

  private void serveFrame() throws MalformedFrameException {
    byte opcode = reader.opcode();
    if (!Wire.isRequest(opcode)) {
      throw new MalformedFrameException("unknown opcode " + opcode);
    }
    switch (state) {
      case WORKER -> requests.serve(opcode, reader.requestId(), reader.body, replies);
      case HANDSHAKE -> hello(opcode, reader.requestId(), reader.body);
      default -> proof(opcode, reader.requestId(), reader.body);
    }
  }

  /** Answers HELLO with this shard's nonce and its proof of the secret over both nonces. */
  private void hello(byte opcode, int requestId, FrameIn body) throws MalformedFrameException {
    if (opcode != Wire.HELLO) {
      refuse(requestId, "it sent opcode " + opcode + " before HELLO",
          "authenticate first: HELLO, then PROOF of the job secret");
      return;
    }
    int version = body.i32();
    if (version != Wire.PROTOCOL_VERSION) {
      refuse(requestId, "protocol version " + version, "this shard speaks protocol version "
          + Wire.PROTOCOL_VERSION + ", the client another (HELLO's first field was " + version + "): use the same "
          + "build of the parameter server on both sides");
      return;
    }
    worker = body.i32();
    byte[] workerNonce = Handshake.read(body, Handshake.NONCE_BYTES, "nonce");
    body.expectEnd();
    byte[] key = shard.handshakeKey();
    byte[] shardNonce = Handshake.nonce();
    expectedProof = Handshake.workerProof(key, workerNonce, shardNonce);
    state = State.CHALLENGED;
    replies.begin(Wire.REPLY_OK, requestId)
        .bytes(shardNonce)
        .bytes(Handshake.shardProof(key, workerNonce, shardNonce))
        .end();
  }

  /** Accepts the worker once its proof over this connection's nonces checks. */
  private void proof(byte opcode, int requestId, FrameIn body) throws MalformedFrameException {
    if (opcode != Wire.PROOF) {
      refuse(requestId, "it sent opcode " + opcode + " before proving the secret",
          "authenticate first: PROOF of the job secret after HELLO");
      return;
    }
    byte[] offered = Handshake.read(body, Handshake.PROOF_BYTES, "proof");
    body.expectEnd();
    if (!Handshake.matches(expectedProof, offered)) {
      refuse(requestId, "wrong secret", "wrong secret: connection refused");
      return;
    }
    expectedProof = null;
    int limit = shard.config().limits().maxWorkers();
    if (counters.workers.incrementAndGet() > limit) {
      counters.workers.decrementAndGet();
      refuse(requestId, limit + " workers are connected already",
          "shard " + counters.shard + " serves " + limit + " connections already (--max-workers): connection refused");
      return;
    }
    counters.handshakes.decrementAndGet();
    state = State.WORKER;
    helloTimeout.cancel(false);
    requests = new Requests(shard, worker, this);
    replies.begin(Wire.REPLY_OK, requestId).i32(shard.config().maxFrameBytes()).i32(counters.shard).end();
  }

  private void refuse(int requestId, String why, String reply) {
    counters.badPeer("shard {}: refused connection from {}: {}", counters.shard, peer, why);
    replies.begin(Wire.REPLY_ERROR, requestId).str(reply).end();
    flushAndClose();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    flush();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable() && !ctx.channel().config().isAutoRead()) {
      if (pending != null) {
        serveReceived();
      }
      if (pending == null && ctx.channel().isActive()) {
        ctx.channel().config().setAutoRead(true);
      }
      flush();
    }
  }

  private void flush() {
    int size = replies.size();
    if (size == 0) {
      return;
    }
    ByteBuf out = ctx.alloc().ioBuffer(size);
    replies.writeTo(out);
    replies.clearAndRelease();
    counters.bytesOut.add(size);
    ctx.writeAndFlush(out, ctx.voidPromise());
  }

  /** Writes the replies so far (an error telling why, typically), then closes; reads nothing more. */
  private void flushAndClose() {
    closing();
    ByteBuf out = ctx.alloc().ioBuffer(replies.size());
    replies.writeTo(out);
    replies.clearAndRelease();
    ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
  }

  /** Stops counting this connection as open: its slot is free again from now on. */
  private void closing() {
    if (handshaking()) {
      counters.handshakes.decrementAndGet();
      helloTimeout.cancel(false);
    } else if (state == State.WORKER) {
      counters.workers.decrementAndGet();
    }
    state = State.CLOSED;
  }

  private void releasePending() {
    if (pending != null) {
      pending.release();
      pending = null;
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (state == State.CHALLENGED) { // where a worker with another secret hangs up, having found our proof wrong
      counters.badPeer("shard {}: connection from {} closed after HELLO, without proving the secret: a worker with "
          + "another secret, or not a worker", counters.shard, peer);
    }
    closing();
    List.copyOf(awaits.values()).forEach(Runnable::run);
    releasePending();
    reader.next();
    reader.release();
    replies.clearAndRelease();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable tls = cause instanceof DecoderException && cause.getCause() instanceof SSLException
        ? cause.getCause() : null;
    if (tls != null) {
      // the SslHandler's: a peer that does not speak TLS, distrusts this shard's certificate, or corrupts records
      counters.badPeer("shard {}: refused connection from {}: {}", counters.shard, peer,
          tls instanceof NotSslRecordException ? "it does not speak TLS (a client not given the shard's certificate?)"
              : "TLS failed: " + tls.getMessage());
    } else if (cause instanceof IOException) {
      LOG.debug("shard {}: connection from {} failed: {}", counters.shard, peer, cause.toString());
    } else {
      LOG.warn("shard {}: closing connection from {}: {}", counters.shard, peer, cause.toString(), cause);
    }
    ctx.close();
  }

  /**
   * Watches {@code key} in the shard's key-value store and replies from the event loop with its value once a call
   * writes or deletes it, or {@code maxWaitMillis} from now; whichever comes first stops the other.
   */
  @Override
  public void whenChanged(int requestId, String key, byte[] seen, int maxWaitMillis) {
    if (awaits.size() >= MAX_AWAITS) {
      throw new BadRequest("this connection waits on " + MAX_AWAITS + " keys already: wait on fewer at once");
    }
    Await await = new Await(requestId, key);
    awaits.put(requestId, await);
    await.timeout = ctx.executor().schedule(await::answer, maxWaitMillis, TimeUnit.MILLISECONDS);
    await.unwatch = shard.kv().watch(key, seen, () -> {
      try {
        ctx.executor().execute(await::answer);
      } catch (RejectedExecutionException shutDown) {
        // the shard is closing: nobody is left to answer
      }
    });
  }

  /** A wait for a key's change: stopped (and forgotten) once answered or its connection closes. */
  private final class Await implements Runnable {
    private final int requestId;
    private final String key;
    private ScheduledFuture<?> timeout;
    private Runnable unwatch;

    Await(int requestId, String key) {
      this.requestId = requestId;
      this.key = key;
    }

    /** Stops the wait: no timeout, no watch. */
    @Override
    public void run() {
      awaits.remove(requestId);
      unwatch.run();
      timeout.cancel(false);
    }

    /** Replies with the key's value now, on the event loop, unless answered already or closed. */
    void answer() {
      if (awaits.get(requestId) != this) {
        return;
      }
      run();
      Requests.writeValue(replies.begin(Wire.REPLY_OK, requestId), shard.kv().get(key));
      replies.end();
      flush();
    }
  }

  /** Runs a snapshot or restore on the store pool, then replies from the event loop. */
  @Override
  public void submit(int requestId, LongSupplier call) {
    if (counters.queueDepth.get() > MAX_STORE_CALLS) {
      throw new BadRequest(
          "shard " + counters.shard + " has " + MAX_STORE_CALLS + " calls waiting already: retry later");
    }
    try {
      shard.storeCalls().execute(() -> {
        long clock = 0;
        String error = null;
        try {
          clock = call.getAsLong();
        } catch (BadRequest e) {
          error = e.getMessage();
        } catch (RuntimeException e) {
          LOG.warn("shard {}: snapshot call failed: {}", counters.shard, e.toString());
          error = String.valueOf(e.getMessage());
        }
        long result = clock;
        String failure = error;
        try {
          ctx.executor().execute(() -> {
            if (failure == null) {
              replies.begin(Wire.REPLY_OK, requestId).i64(result).end();
            } else {
              replies.begin(Wire.REPLY_ERROR, requestId).str(failure).end();
            }
            Requests.answered(counters);
            flush();
          });
        } catch (RejectedExecutionException shutDown) {
          Requests.answered(counters); // the shard is closing: nobody is left to answer
        }
      });
    } catch (RejectedExecutionException e) {
      throw new BadRequest("shard " + counters.shard + " is shutting down");
    }
  }
}
