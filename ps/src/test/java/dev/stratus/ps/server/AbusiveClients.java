package dev.stratus.ps.server;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.wire.FrameOut;
import dev.stratus.ps.wire.Handshake;
import dev.stratus.ps.wire.MalformedFrameException;
import dev.stratus.ps.wire.Wire;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Clients that abuse a shard, to check (FuzzTest) and measure (the ps-fuzz benchmark) that it copes: paced fuzzing
 * threads sending 100,000 random and mutated frames (before and after the handshake) over the seconds given on
 * connections they keep open, slow clients (one byte a second, with and without the secret: the ones without dribble
 * a HELLO, or a PROOF after a prompt HELLO), half-open ones (a frame begun and never finished) and peers that
 * pipeline pulls without ever reading the replies.
 */
public final class AbusiveClients implements AutoCloseable {
  public static final int FRAMES = 100_000;
  static final int FRAMES_PER_CONNECTION = 20;
  static final int ABUSERS = 4;
  static final int CONNECTIONS_PER_ABUSER = 8;
  /** Of each kind: with and without the secret. */
  public static final int SLOW_CLIENTS = 20;
  static final int HALF_OPEN = 20;
  static final int NON_READERS = 4;

  private final AtomicInteger sent = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();
  private final InetSocketAddress address;
  private final String secret;
  private final int modelBits;
  private final int helloTimeoutMillis;
  private final List<byte[]> seeds;
  private final List<Thread> threads = new ArrayList<>();
  private final CountDownLatch fuzzersDone = new CountDownLatch(ABUSERS);
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final List<Socket> slowWithSecret = new CopyOnWriteArrayList<>();
  private final List<Socket> slowWithout = new CopyOnWriteArrayList<>();
  private final List<Socket> held = new CopyOnWriteArrayList<>(); // half-open and non-reading
  private volatile boolean stopped;
  private final double seconds;

  /**
   * @param secret the shard's secret, which some of the abusers prove
   * @param modelBits the key range of the pulls the non-reading peers pipeline
   * @param helloTimeoutMillis the shard's handshake timeout, past which it must have dropped the slow clients without
   *     the secret
   * @param seconds over how long the fuzzing threads pace their frames
   */
  public AbusiveClients(InetSocketAddress address, String secret, int modelBits, int helloTimeoutMillis,
      double seconds) {
    this.address = address;
    this.seconds = seconds;
    this.secret = secret;
    this.modelBits = modelBits;
    this.helloTimeoutMillis = helloTimeoutMillis;
    this.seeds = validFrames(secret);
  }

  /** Frames sent so far. */
  public int sent() {
    return sent.get();
  }

  /** Connections opened so far. */
  public int connections() {
    return connections.get();
  }

  public void start() throws IOException, MalformedFrameException {
    for (int i = 0; i < SLOW_CLIENTS; i++) {
      slowWithSecret.add(authenticated());
      if (i % 2 == 0) {
        slowWithout.add(connect());
      } else { // answered HELLO, and its PROOF is what comes one byte a second
        RawConnection challenged = new RawConnection(address);
        connections.incrementAndGet();
        challenged.hello(Handshake.nonce());
        slowWithout.add(challenged.socket);
      }
    }
    for (int i = 0; i < HALF_OPEN; i++) {
      ByteArrayOutputStream begun = new ByteArrayOutputStream();
      Socket socket;
      if (i % 2 == 0) { // authenticated, then a 512 KiB frame of which 1,000 bytes ever come
        socket = authenticated();
        begun.write(new byte[] {0, 8, 0, 0});
        begun.write(new byte[1000]);
      } else { // three bytes of a length prefix, and nothing more
        socket = connect();
        begun.write(new byte[] {0, 0, 0});
      }
      socket.getOutputStream().write(begun.toByteArray());
      held.add(socket);
    }
    int[] keys = new Random(3).ints(2000, 0, 1 << modelBits).sorted().distinct().toArray();
    byte[] pull = RawConnection.frame(Wire.PULL, 1, f -> f.i32(0).keys(keys, 0, keys.length));
    for (int i = 0; i < NON_READERS; i++) {
      Socket socket = authenticated();
      held.add(socket);
      spawn("non-reader-" + i, () -> {
        OutputStream out = socket.getOutputStream();
        while (!stopped) {
          out.write(pull); // blocks for good once the shard stops reading this peer
        }
      });
    }
    spawn("slow-clients", this::dribble);
    for (int a = 0; a < ABUSERS; a++) {
      int abuser = a;
      spawn("fuzzer-" + a, () -> {
        try {
          fuzz(abuser);
        } finally {
          fuzzersDone.countDown();
        }
      });
    }
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket();
    socket.connect(address, 5000);
    connections.incrementAndGet();
    return socket;
  }

  /** A connection that has proved the secret: past the handshake, which takes a round trip each way. */
  private Socket authenticated() throws IOException, MalformedFrameException {
    RawConnection raw = new RawConnection(address);
    connections.incrementAndGet();
    try {
      RawConnection.Reply accepted = raw.authenticate(secret);
      if (accepted.error() != null) {
        throw new IOException("the shard refused the secret: " + accepted.error());
      }
      return raw.socket;
    } catch (IOException | MalformedFrameException | RuntimeException e) {
      raw.close();
      throw e;
    }
  }

  private interface Body {
    void run() throws Exception;
  }

  private void spawn(String name, Body body) {
    Thread thread = new Thread(() -> {
      try {
        body.run();
      } catch (Throwable e) {
        if (!stopped) {
          failure.compareAndSet(null, new AssertionError(name + " failed", e));
        }
      }
    }, "fuzz-" + name);
    thread.setDaemon(true);
    threads.add(thread);
    thread.start();
  }

  /**
   * One byte a second to each slow client: a PING after the handshake, or a HELLO or PROOF that would take far too
   * long.
   */
  private void dribble() throws InterruptedException {
    byte[] ping = RawConnection.frame(Wire.PING, 5, f -> {});
    byte[] hello = RawConnection.helloFrame(Handshake.nonce());
    byte[] proof = RawConnection.proofFrame(secret, Handshake.nonce(), Handshake.nonce());
    for (int second = 0; !stopped; second++) {
      for (Socket s : slowWithSecret) {
        writeQuietly(s, ping[second % ping.length]);
      }
      for (int i = 0; i < slowWithout.size(); i++) {
        byte[] frame = i % 2 == 0 ? hello : proof;
        writeQuietly(slowWithout.get(i), frame[second % frame.length]);
      }
      Thread.sleep(1000);
    }
  }

  private static void writeQuietly(Socket socket, byte b) {
    try {
      socket.getOutputStream().write(b);
    } catch (IOException closedByTheShard) {
      // expected for the ones without the secret, once the handshake timeout passed
    }
  }

  /** This abuser's share of the frames, paced evenly over the abuse time, over connections it keeps open. */
  private void fuzz(int abuser) throws InterruptedException, MalformedFrameException {
    Random random = new Random(42 + abuser);
    Socket[] open = new Socket[CONNECTIONS_PER_ABUSER];
    int batches = FRAMES / ABUSERS / FRAMES_PER_CONNECTION;
    long interval = (long) (seconds * 1e9 / batches);
    long start = System.nanoTime();
    try {
      for (int b = 0; b < batches && !stopped; b++) {
        LockSupport.parkNanos(start + b * interval - System.nanoTime());
        int slot = b % open.length;
        closeQuietly(open[slot]); // unread replies and all: the shard copes with a peer vanishing
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        for (int i = 0; i < FRAMES_PER_CONNECTION; i++) {
          batch.writeBytes(nextFrame(random, seeds));
        }
        try {
          open[slot] = random.nextInt(4) != 0 ? authenticated() : connect();
          open[slot].getOutputStream().write(batch.toByteArray());
        } catch (IOException closedByShard) {
          // the shard may hang up on the first bad frame while the rest is still being written
        }
        sent.addAndGet(FRAMES_PER_CONNECTION);
      }
    } finally {
      for (Socket s : open) {
        closeQuietly(s);
      }
    }
  }

  /** Whether the fuzzers have sent all their frames. */
  public boolean framesDone() {
    return fuzzersDone.getCount() == 0;
  }

  /** Waits for the fuzzers to have sent all their frames (a minute at most). */
  public void awaitFrames() throws InterruptedException {
    if (!fuzzersDone.await(60, TimeUnit.SECONDS)) {
      throw new AssertionError("the fuzzers did not finish within a minute");
    }
    rethrow();
  }

  /** Throws what failed in an abuser's own thread (not what the shard refused, which is expected). */
  public void rethrow() {
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
  }

  /** How many slow clients without the secret the shard has closed (end of stream or reset when read). */
  public int slowUnauthenticatedDropped() throws IOException {
    int dropped = 0;
    for (Socket s : slowWithout) {
      s.setSoTimeout(helloTimeoutMillis);
      try {
        if (s.getInputStream().read() < 0) {
          dropped++;
        }
      } catch (SocketTimeoutException stillOpen) {
        // not dropped
      } catch (IOException reset) {
        dropped++;
      }
    }
    return dropped;
  }

  @Override
  public void close() throws InterruptedException {
    stopped = true;
    for (List<Socket> sockets : List.of(slowWithSecret, slowWithout, held)) {
      sockets.forEach(AbusiveClients::closeQuietly);
    }
    for (Thread thread : threads) {
      thread.join(5000);
    }
  }

  private static void closeQuietly(Socket socket) {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  /** One well-formed frame of every request kind, to mutate. */
  private static List<byte[]> validFrames(String secret) {
    List<byte[]> frames = new ArrayList<>();
    int[] keys = {1, 5, 200, 999};
    frames.add(RawConnection.frame(Wire.PULL, 1, f -> f.i32(0).keys(keys, 0, 4)));
    frames.add(RawConnection.frame(Wire.PUSH, 2, f -> {
      f.i32(0).u8(1).keys(keys, 0, 4);
      f.floats(new float[4], 0, 4);
    }));
    frames.add(RawConnection.frame(Wire.PULL_RANGE, 3, f -> f.i32(0).i32(0).i32(100)));
    frames.add(RawConnection.frame(Wire.MODEL_STATUS, 4, f -> f.i32(0)));
    frames.add(RawConnection.frame(Wire.KV_PUT, 5, f -> f.str("fuzz/a").bytes(new byte[40])));
    frames.add(RawConnection.frame(Wire.KV_GET, 6, f -> f.str("fuzz/a")));
    frames.add(RawConnection.frame(Wire.KV_MULTI_GET, 7, f -> f.i32(2).str("fuzz/a").str("kv")));
    frames.add(RawConnection.frame(Wire.KV_ADD, 8, f -> f.str("fuzz/sum").floatArray(new float[4])));
    frames.add(RawConnection.frame(Wire.KV_LIST, 9, f -> f.str("fuzz/")));
    frames.add(RawConnection.frame(Wire.KV_DELETE, 10, f -> f.str("fuzz/a")));
    frames.add(RawConnection.frame(Wire.METRICS, 11, f -> {}));
    frames.add(RawConnection.frame(Wire.CREATE_MODEL, 12, f -> {
      f.str("fuzz-model");
      f.spec(ModelSpec.vector(8));
      f.i32(0).i32(256);
    }));
    byte[] workerNonce = Handshake.nonce();
    frames.add(RawConnection.helloFrame(workerNonce));
    frames.add(RawConnection.proofFrame(secret, workerNonce, Handshake.nonce()));
    // an LZ4-compressed push
    FrameOut compressed = new FrameOut(16);
    compressed.begin(Wire.PUSH, 13);
    compressed.i32(0).u8(1).keys(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, 0, 8);
    compressed.floats(new float[8], 0, 8);
    compressed.end();
    frames.add(compressed.toByteArray());
    return frames;
  }

  private static byte[] nextFrame(Random random, List<byte[]> seeds) {
    byte[] frame = seeds.get(random.nextInt(seeds.size())).clone();
    switch (random.nextInt(7)) {
      case 0 -> { // pure noise
        byte[] noise = new byte[random.nextInt(64)];
        random.nextBytes(noise);
        return noise;
      }
      case 1 -> { // flip a few bits anywhere, length prefix included
        for (int i = 1 + random.nextInt(4); i > 0; i--) {
          frame[random.nextInt(frame.length)] ^= (byte) (1 << random.nextInt(8));
        }
      }
      case 2 -> { // random bytes in the body
        for (int i = 10; i < frame.length; i++) {
          if (random.nextInt(4) == 0) {
            frame[i] = (byte) random.nextInt();
          }
        }
      }
      case 3 -> { // truncated
        return Arrays.copyOf(frame, random.nextInt(frame.length));
      }
      case 4 -> { // a lying length prefix
        int length = random.nextBoolean() ? random.nextInt() : frame.length - 4 + random.nextInt(9) - 4;
        frame[0] = (byte) (length >>> 24);
        frame[1] = (byte) (length >>> 16);
        frame[2] = (byte) (length >>> 8);
        frame[3] = (byte) length;
      }
      case 5 -> frame[4] = (byte) random.nextInt(); // any opcode
      default -> { } // valid: keeps later frames on the connection meaningful
    }
    return frame;
  }
}
