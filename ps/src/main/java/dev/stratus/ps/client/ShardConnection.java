package dev.stratus.ps.client;

import dev.stratus.ps.PsException;
import dev.stratus.ps.wire.FrameIn;
import dev.stratus.ps.wire.FrameOut;
import dev.stratus.ps.wire.FrameReader;
import dev.stratus.ps.wire.MalformedFrameException;
import dev.stratus.ps.wire.Wire;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The client's one connection to one shard, shared by every call: callers encode and write their request frame
 * under a lock; each reply is matched to its request by id (replies may come in any order) and completes it. A
 * caller blocked on its future reads the replies itself (see {@link #awaitByReading}); a background reader takes
 * over when nobody waits. Up to {@link #MAX_IN_FLIGHT} requests may be outstanding; beyond that a caller waits for
 * a slot.
 */
public final class ShardConnection implements AutoCloseable {
  static final int MAX_IN_FLIGHT = 4096;
  private static final int SLOT_MASK = MAX_IN_FLIGHT - 1;
  private static final int CONNECT_TIMEOUT_MS = 10_000;
  /** A reply frame may exceed the frame limit by its header and an LZ4 length. */
  private static final int REPLY_HEADROOM = 64;
  /** How long the background reader stays away after a caller stopped reading: the gap between a worker's calls. */
  private static final long HANDOVER_NANOS = 1_000_000;

  /** Decodes a successful reply's body. */
  public interface ReplyReader {
    void read(FrameIn in) throws MalformedFrameException;
  }

  /** Encodes a request's body. */
  public interface BodyWriter {
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

  // Reading: whoever holds readLock reads and dispatches replies (see awaitByReading and readLoop).
  private final ReentrantLock readLock = new ReentrantLock();
  private final AtomicInteger waiters = new AtomicInteger();
  private volatile long lastWaiterLeft = System.nanoTime() - HANDOVER_NANOS;
  private final FrameReader replies = new FrameReader(4096, null);

  public ShardConnection(int shard, InetSocketAddress address, String token, int workerId, LongAdder bytesSent,
      LongAdder bytesReceived) throws IOException {
    this.shard = shard;
    this.address = address;
    this.bytesSent = bytesSent;
    this.bytesReceived = bytesReceived;
    this.frames = new FrameOut(Wire.COMPRESS_ABOVE);
    this.socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.connect(address, CONNECT_TIMEOUT_MS);
      socket.setSoTimeout(CONNECT_TIMEOUT_MS);
      this.in = new BufferedInputStream(socket.getInputStream(), 64 << 10);
      this.out = socket.getOutputStream();
      frames.begin(Wire.HELLO, 0).bytes(token.getBytes(StandardCharsets.UTF_8)).i32(workerId).end();
      frames.writeTo(out);
      frames.clear();
      replies.read(in, Wire.MAX_FRAME_BEFORE_HELLO);
      bytesReceived.add(replies.wireBytes());
      FrameIn reply = replies.body;
      if (replies.opcode() == Wire.REPLY_ERROR) {
        throw new PsException("shard " + shard + " at " + address + " refused the connection: " + reply.str());
      }
      this.maxFrameBytes = reply.i32();
      reply.i32(); // the shard's own index, informative only
      socket.setSoTimeout(0);
    } catch (IOException | MalformedFrameException | RuntimeException e) {
      socket.close();
      if (e instanceof PsException p) {
        throw p;
      }
      throw new PsException("cannot connect to shard " + shard + " at " + address + ": " + e.getMessage(), e);
    }
    Thread reader = new Thread(this::readLoop, "ps-client-" + shard + "-" + address.getPort());
    reader.setDaemon(true);
    reader.start();
  }

  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  /**
   * Sends one request; its reply goes through {@code reader} into {@code gather}, or its failure fails the gather.
   * Never throws: every problem ends up in the gather's future.
   */
  public void send(byte opcode, BodyWriter body, ReplyReader reply, Gather<?> gather) {
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
      frames.begin(opcode, id);
      body.write(frames);
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
    PsException lost = new PsException(
        "connection to shard " + shard + " at " + address + " lost: " + cause.getMessage(), cause);
    if (failure == null) {
      failure = lost;
    }
    return failure;
  }

  /**
   * The background reader: reads and dispatches replies whenever no caller has been waiting for a while, so that
   * replies nobody blocks on (callbacks, fire-and-forget pushes) still complete.
   */
  private void readLoop() {
    try {
      while (true) {
        // Step aside, without touching the lock, while callers read for themselves: a reader queued on the lock
        // would be woken at every one of their unlocks.
        if (waiters.get() > 0 || System.nanoTime() - lastWaiterLeft < HANDOVER_NANOS) {
          LockSupport.parkNanos(this, HANDOVER_NANOS);
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
      waiters.decrementAndGet();
    }
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
  }
}
