package dev.stratus.ps.client;

import dev.stratus.ps.ConnectionLostException;
import dev.stratus.ps.PsException;
import dev.stratus.ps.tls.ShardTls;
import dev.stratus.ps.wire.FrameIn;
import dev.stratus.ps.wire.FrameOut;
import dev.stratus.ps.wire.FrameReader;
import dev.stratus.ps.wire.Handshake;
import dev.stratus.ps.wire.MalformedFrameException;
import dev.stratus.ps.wire.Wire;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import java.util.concurrent.Semaphore;
import java.util.function.IntConsumer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The client's one connection to one shard, shared by every call: callers encode and write their request frame
 * under a lock; each reply is matched to its request by id (replies may come in any order) and completes it. A
 * caller blocked on its future reads the replies itself (see {@link #awaitByReading}); a background reader takes
 * over when nobody has waited for a moment, for replies nobody waits for (callbacks, pushes not joined). No thread
 * of a connection polls: the background reader waits in the socket's read, or parked while callers read (see
 * {@link #readLoop}). Up to
 * {@link #MAX_IN_FLIGHT} requests may be outstanding; beyond that a caller waits for a slot.
 */
final class ShardConnection implements AutoCloseable {
  static final int MAX_IN_FLIGHT = 4096;
  private static final int SLOT_MASK = MAX_IN_FLIGHT - 1;
  private static final int CONNECT_TIMEOUT_MS = 10_000;
  /** A reply frame may exceed the frame limit by its header and an LZ4 length. */
  private static final int REPLY_HEADROOM = 64;
  /** How long the background reader stays away after a caller stopped reading: the gap between a worker's calls. */
  static final long HANDOVER_NANOS = 1_000_000;

  /** Decodes a successful reply's body. */
  interface ReplyReader {
    void read(FrameIn in) throws MalformedFrameException;
  }

  /** Encodes a request's body. */
  interface BodyWriter {
    void write(FrameOut out);
  }

  /** One outstanding request: its id, how to read its reply, and the (possibly multi-shard) call it is part of. */
  static final class Call {
    final ShardConnection connection;
    final ReplyReader reader;
    final Gather<?> gather;
    int id;
    volatile boolean done;

    Call(ShardConnection connection, ReplyReader reader, Gather<?> gather) {
      this.connection = connection;
      this.reader = reader;
      this.gather = gather;
    }
  }

  private final int shard;
  private final InetSocketAddress address;
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final FrameOut frames;
  private final Semaphore slotsFree = new Semaphore(MAX_IN_FLIGHT);
  private final AtomicReferenceArray<Call> slots = new AtomicReferenceArray<>(MAX_IN_FLIGHT);
  private final LongAdder bytesSent;
  private final LongAdder bytesReceived;
  private final int maxFrameBytes;
  private volatile PsException failure;

  // Writing, under writeLock.
  private int nextId;
  private final PulledKeys pulls = new PulledKeys();

  // Reading: whoever holds readLock reads and dispatches replies (see awaitByReading and readLoop).
  private final ReentrantLock readLock = new ReentrantLock();
  private final AtomicInteger waiters = new AtomicInteger();
  private volatile long lastWaiterLeft = System.nanoTime() - HANDOVER_NANOS;
  private final Thread reader;
  /** Set while {@link StandingReaders} has this connection to look at. */
  final AtomicBoolean standing = new AtomicBoolean();
  private final FrameReader replies = new FrameReader(4096, null);

  /**
   * @param handshakeKey {@link Handshake#key} of the job's secret, which the connection never holds itself
   * @param tls how to speak TLS to the shard, trusting its pinned certificate; null for plain frames
   */
  ShardConnection(int shard, InetSocketAddress address, byte[] handshakeKey, ShardTls.Client tls, int workerId,
      LongAdder bytesSent, LongAdder bytesReceived) throws IOException {
    this.shard = shard;
    // A shard named but not resolved (--psEndpoints, a worker's task) is looked up here, where it is dialled: a
    // worker resolves it in its own network, and a socket cannot connect to an unresolved address.
    this.address = address.isUnresolved() ? new InetSocketAddress(address.getHostString(), address.getPort()) : address;
    this.bytesSent = bytesSent;
    this.bytesReceived = bytesReceived;
    this.frames = new FrameOut(Wire.COMPRESS_ABOVE);
    this.socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.connect(this.address, CONNECT_TIMEOUT_MS);
      // bounds the TLS handshake too: it reads through this socket
      socket.setSoTimeout(CONNECT_TIMEOUT_MS);
      Socket connection = tls == null ? socket : handshakeTls(tls);
      this.in = new BufferedInputStream(connection.getInputStream(), 64 << 10);
      this.out = connection.getOutputStream();
      this.maxFrameBytes = handshake(handshakeKey, workerId);
      socket.setSoTimeout(0);
    } catch (IOException | MalformedFrameException | RuntimeException e) {
      PsException failed = e instanceof PsException p ? p : cannotConnect(e);
      socket.close();
      throw failed;
    }
    reader = new Thread(this::readLoop, "ps-client-" + shard + "-" + address.getPort());
    reader.setDaemon(true);
    reader.start();
  }

  /** The TLS socket over {@link #socket}, its handshake done and the shard's certificate found to be the pinned one. */
  private Socket handshakeTls(ShardTls.Client tls) throws IOException {
    try {
      return tls.handshake(socket, address);
    } catch (SocketTimeoutException slow) {
      throw slow;
    } catch (IOException failed) {
      for (Throwable cause = failed; cause != null; cause = cause.getCause()) {
        if (cause instanceof CertificateException distrusted) {
          throw new PsException("shard " + shard + " at " + address + " is not trusted: " + distrusted.getMessage()
              + ": a shard of another job, or not the certificate its shards present", failed);
        }
      }
      // A plain shard takes the TLS hello for an oversized frame and hangs up.
      throw new PsException("shard " + shard + " at " + address + " did not answer TLS: is it started with "
          + "--tls-cert? (" + failed.getMessage() + ")", failed);
    }
  }

  /**
   * Proves the secret to the shard and has the shard prove it back, without sending it ({@link Handshake}); returns
   * the shard's frame limit.
   */
  private int handshake(byte[] key, int workerId) throws IOException, MalformedFrameException {
    byte[] workerNonce = Handshake.nonce();
    sendDuringHandshake(frames.begin(Wire.HELLO, 0).i32(Wire.PROTOCOL_VERSION).i32(workerId).bytes(workerNonce));
    FrameIn challenge = handshakeReply("HELLO");
    byte[] shardNonce;
    byte[] shardProof;
    try {
      shardNonce = Handshake.read(challenge, Handshake.NONCE_BYTES, "nonce");
      shardProof = Handshake.read(challenge, Handshake.PROOF_BYTES, "proof");
      challenge.expectEnd();
    } catch (MalformedFrameException unreadable) {
      throw notAShardOfThisJob("its answer to HELLO is unreadable: " + unreadable.getMessage());
    }
    if (!Handshake.matches(Handshake.shardProof(key, workerNonce, shardNonce), shardProof)) {
      throw notAShardOfThisJob("its proof does not match this worker's secret");
    }
    sendDuringHandshake(frames.begin(Wire.PROOF, 0).bytes(Handshake.workerProof(key, workerNonce, shardNonce)));
    FrameIn accepted = handshakeReply("PROOF");
    int shardFrameLimit = accepted.i32();
    accepted.i32(); // the shard's own index, informative only
    return shardFrameLimit;
  }

  private void sendDuringHandshake(FrameOut frame) throws IOException {
    frame.end();
    frame.writeTo(out);
    bytesSent.add(frame.size());
    frame.clear();
  }

  /** The body of the shard's OK reply to a handshake frame; its error reply or anything else is a PsException. */
  private FrameIn handshakeReply(String request) throws IOException {
    try {
      replies.read(in, Wire.MAX_FRAME_BEFORE_HELLO);
    } catch (EOFException closed) {
      throw new EOFException("the shard closed the connection in reply to " + request + (request.equals("HELLO")
          ? ": a shard serving TLS (started with --tls-cert) does so to a client not given its certificate, as do a "
              + "shard older than protocol version " + Wire.PROTOCOL_VERSION + " and one with --max-handshakes "
              + "connections handshaking already"
          : ""));
    } catch (MalformedFrameException garbage) {
      throw notAShardOfThisJob("its reply to " + request + " is no frame of ours: " + garbage.getMessage());
    }
    bytesReceived.add(replies.wireBytes());
    FrameIn reply = replies.body;
    if (replies.opcode() == Wire.REPLY_ERROR) {
      String why;
      try {
        why = reply.str();
      } catch (MalformedFrameException unreadable) {
        throw notAShardOfThisJob("its error reply to " + request + " is unreadable");
      }
      throw new PsException("shard " + shard + " at " + address + " refused the connection: " + why);
    }
    if (replies.opcode() != Wire.REPLY_OK) {
      throw notAShardOfThisJob("it answered " + request + " with opcode " + replies.opcode());
    }
    return reply;
  }

  private PsException notAShardOfThisJob(String detail) {
    return new PsException("shard " + shard + " at " + address + " did not prove the job's secret: not a shard of "
        + "this job, or a different secret (" + detail + ")");
  }

  /**
   * Why the connection could not be made, on one line: the address dialled, and this host's name and local address,
   * which tell a worker in someone else's network (a Lambda function's, say) why it cannot reach the shard.
   */
  private PsException cannotConnect(Exception cause) {
    String why = String.valueOf(cause.getMessage()).replaceAll("\\s+", " ");
    return new PsException("cannot connect to shard " + shard + " at " + address + " from host " + hostName()
        + " (" + localAddress() + "): " + why, cause);
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "of unknown name";
    }
  }

  /**
   * The local address of the connection; after a failed connect, which Java forgets, the one the kernel's route to
   * the shard picks (found by connecting a UDP socket, which sends nothing).
   */
  private String localAddress() {
    InetAddress local = socket.isBound() ? socket.getLocalAddress() : null;
    if (local == null || local.isAnyLocalAddress()) {
      try (DatagramSocket probe = new DatagramSocket()) {
        probe.connect(address);
        local = probe.getLocalAddress();
      } catch (IOException | RuntimeException unroutable) {
        local = null;
      }
    }
    return local == null || local.isAnyLocalAddress() ? "no local address" : "local " + local.getHostAddress();
  }

  int maxFrameBytes() {
    return maxFrameBytes;
  }

  /** Whether the connection was lost or closed: every call on it fails. */
  boolean lost() {
    return failure != null;
  }

  /** Why it was lost or closed; null while it works. */
  PsException failure() {
    return failure;
  }

  /**
   * Sends one request; its reply goes through {@code reader} into {@code gather}, or its failure fails the gather.
   * Never throws: every problem ends up in the gather's future.
   */
  void send(byte opcode, BodyWriter body, ReplyReader reply, Gather<?> gather) {
    send((frame, id) -> body.write(frame.begin(opcode, id)), id -> {}, reply, gather);
  }

  /**
   * Sends a pull ({@code opcode}) of keys {@code [from, to)} of a model, remembering them, as the shard does, for a
   * later push to name (see {@link #sendPush}).
   */
  void sendPull(byte opcode, int modelId, int[] sortedKeys, int from, int to, ReplyReader reply, Gather<?> gather) {
    BodyWriter body = pullBody(modelId, sortedKeys, from, to);
    send((frame, id) -> body.write(frame.begin(opcode, id)), id -> pulls.remember(id, modelId, sortedKeys, from, to),
        reply, gather);
  }

  /** A pull's body: the model, then keys {@code [from, to)}. */
  static BodyWriter pullBody(int modelId, int[] sortedKeys, int from, int to) {
    return out -> out.i32(modelId).keys(sortedKeys, from, to);
  }

  /** A push's body that sends its keys: the model, whether it counts as an update, keys {@code [from, to)}, values. */
  static BodyWriter pushBody(int modelId, int countsAsUpdate, int[] sortedKeys, int from, int to, BodyWriter values) {
    return out -> values.write(out.i32(modelId).u8(countsAsUpdate).keys(sortedKeys, from, to));
  }

  /**
   * Sends a push of a gradient for keys {@code [from, to)} of a model, whose values {@code values} writes: naming
   * one of the connection's last pulls ({@code pulledOpcode}) when that pulled the same keys of the same model, else
   * with the keys ({@code opcode}).
   */
  void sendPush(byte opcode, byte pulledOpcode, int modelId, int countsAsUpdate, int[] sortedKeys, int from, int to,
      BodyWriter values, Gather<?> gather) {
    send((frame, id) -> {
      int pulled = pulls.find(modelId, sortedKeys, from, to);
      if (pulled >= 0) {
        frame.begin(pulledOpcode, id).i32(modelId).u8(countsAsUpdate).i32(pulls.requestId(pulled));
        values.write(frame);
      } else {
        pushBody(modelId, countsAsUpdate, sortedKeys, from, to, values).write(frame.begin(opcode, id));
      }
    }, id -> {}, reply -> {}, gather);
  }

  /** Writes one request frame: its header (with the id given) and its body. */
  private interface FrameWriter {
    void write(FrameOut frame, int id);
  }

  /**
   * Sends the frame {@code writer} writes, under the write lock (with what it reads or records there); {@code
   * written} is told its id once it is on the wire.
   */
  private void send(FrameWriter writer, IntConsumer written, ReplyReader reply, Gather<?> gather) {
    PsException failed = failure;
    if (failed != null) {
      gather.fail(failed);
      return;
    }
    Call call = new Call(this, reply, gather);
    slotsFree.acquireUninterruptibly();
    PsException problem = null;
    boolean registered = false;
    writeLock.lock();
    try {
      int id;
      do {
        id = nextId++;
      } while (slots.get(id & SLOT_MASK) != null);
      call.id = id;
      frames.clear();
      writer.write(frames, id);
      frames.end();
      if (frames.size() - 4 > maxFrameBytes) {
        problem = new PsException("a request of " + frames.size() + " bytes exceeds shard " + shard
            + "'s frame limit of " + maxFrameBytes + " bytes: send fewer keys at a time");
      } else {
        slots.set(id & SLOT_MASK, call);
        registered = true;
        gather.add(call);
        frames.writeTo(out);
        bytesSent.add(frames.size());
        written.accept(id);

      }
    } catch (IOException e) {
      problem = connectionLost(e);
    } catch (RuntimeException e) {
      problem = new PsException("could not encode a request to shard " + shard + ": " + e, e);
    } finally {
      writeLock.unlock();
    }
    if (problem != null) {
      // A registered call may already have been failed and its slot freed by the reader thread.
      if (!registered || slots.compareAndSet(call.id & SLOT_MASK, call, null)) {
        slotsFree.release();
      }
      call.done = true;
      gather.fail(problem);
      if (failure != null) {
        close();
      }
    }
  }

  private PsException connectionLost(Exception cause) {
    PsException lost = new ConnectionLostException(
        "connection to shard " + shard + " at " + address + " lost: " + cause.getMessage(), cause);
    if (failure == null) {
      failure = lost;
    }
    return failure;
  }

  /**
   * The background reader. While nobody waits it reads and dispatches every reply, blocked in the socket's read. Once
   * a caller waits it steps aside, without touching the lock (a reader queued on the lock would be woken at every
   * one of their unlocks), and parks without a timeout while callers read every reply, the ones nobody waits for
   * among them. When the last of them leaves, {@link StandingReaders} looks at the connection, and brings the reader
   * back once no caller has waited for {@link #HANDOVER_NANOS}: then
   * it reads what nobody waits for and sees at once a shard that hung up. The gap lets a caller who blocks again soon
   * read its own reply instead of being handed it, so a program that joins one call after another wakes this thread
   * not at all.
   */
  private void readLoop() {
    try {
      while (failure == null) {
        if (!mayReadAgain()) {
          LockSupport.park(this); // the last caller to leave has StandingReaders look at it
          continue;
        }
        readLock.lock();
        try {
          if (waiters.get() == 0) {
            readOne();
          }
        } finally {
          readLock.unlock();
        }
      }
    } catch (IOException | MalformedFrameException e) {
      connectionLost(e);
    } finally {
      close();
      failPending();
    }
  }

  /**
   * Blocks until {@code call} is answered by reading replies on the calling thread: a caller that waits for its
   * reply then wakes straight from the socket read, instead of being woken by the background reader (a thread
   * hand-off that costs as much as the loopback round trip itself). Replies to other calls read meanwhile are
   * dispatched as usual.
   */
  void awaitByReading(Call call) {
    waiters.incrementAndGet();
    try {
      // Checked after announcing ourselves: the background reader dispatches, then looks at waiters, so either it
      // sees us and hands the lock over, or we see the call done here and never block on a lock it keeps.
      if (call.done) {
        return;
      }
      readLock.lock();
      try {
        while (!call.done) {
          readOne();
        }
      } finally {
        readLock.unlock();
      }
    } catch (IOException | MalformedFrameException e) {
      connectionLost(e);
      close();
      failPending();
    } finally {
      lastWaiterLeft = System.nanoTime();
      if (waiters.decrementAndGet() == 0) {
        StandingReaders.watch(this);
      }
    }
  }

  /** Whether a caller is reading replies for itself now. */
  boolean callerWaits() {
    return waiters.get() > 0;
  }

  /** Whether the background reader may read again: no caller waits, none has for the hand-over gap, or it is closed. */
  boolean mayReadAgain() {
    return failure != null || (waiters.get() == 0 && System.nanoTime() - lastWaiterLeft >= HANDOVER_NANOS);
  }

  /** Unparks the background reader (parked, as {@link StandingReaders} found it). */
  void wakeReader() {
    LockSupport.unpark(reader);
  }

  /** Reads one reply and completes its call; only with {@link #readLock} held. */
  private void readOne() throws IOException, MalformedFrameException {
    replies.read(in, maxFrameBytes + REPLY_HEADROOM);
    bytesReceived.add(replies.wireBytes());
    FrameIn reply = replies.body;
    int id = replies.requestId();
    Call call = slots.get(id & SLOT_MASK);
    if (call == null || call.id != id || !slots.compareAndSet(id & SLOT_MASK, call, null)) {
      throw new MalformedFrameException("reply to unknown request " + id);
    }
    slotsFree.release();
    if (replies.opcode() == Wire.REPLY_OK) {
      try {
        call.reader.read(reply);
        reply.expectEnd();
        call.done = true;
        call.gather.sliceDone();
      } catch (MalformedFrameException | RuntimeException e) {
        call.done = true;
        call.gather.fail(new PsException("shard " + shard + " sent an unreadable reply: " + e.getMessage(), e));
      }
    } else {
      call.done = true;
      call.gather.fail(new PsException("shard " + shard + ": " + reply.str()));
    }
    replies.release();
  }

  private void failPending() {
    for (int i = 0; i < MAX_IN_FLIGHT; i++) {
      Call call = slots.getAndSet(i, null);
      if (call != null) {
        slotsFree.release();
        call.done = true;
        call.gather.fail(failure);
      }
    }
  }

  /**
   * Closes the TCP socket, under the TLS layer if there is one: a reader blocked in it wakes at once, and the shard,
   * which takes the connection's end for the session's, needs no closing alert.
   */
  @Override
  public void close() {
    if (failure == null) {
      failure = new PsException("the client's connection to shard " + shard + " is closed");
    }
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    LockSupport.unpark(reader); // a parked reader fails what is pending and ends
  }
}
