package dev.stratus.ps;

import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreException;
import dev.stratus.store.StoreSpec;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One parameter-server shard: models (a row range of each) and a key-value map, served over TCP to
 * {@link PsClient}s that prove the job's secret.
 *
 * <pre>{@code
 * try (PsServer shard = PsServer.start(PsServer.Config.of(secret))) {   // embedded, on 127.0.0.1, a free port
 *   PsClient ps = PsClient.connect(List.of(shard.address()), secret);
 * }
 * // as a process: java -cp ... dev.stratus.ps.PsServer --port 7070 --token-env STRATUS_PS_TOKEN --shard 0
 * //               --checkpoint s3://bucket/job/ps --snapshot-every 30
 * }</pre>
 *
 * <p>Threading: one thread per connection reads frames and answers pulls, pushes and key-value calls inline (they
 * take microseconds); replies are buffered and written when no further request is already waiting, so pipelined
 * requests get batched replies. Snapshots and restores, which wait on the object store, run on a small pool and
 * answer out of order. Models lock per row stripe (see {@link ServerModel}), so pushes from many connections run in
 * parallel without losing updates.
 *
 * <p>Bad input: a connection must send HELLO with the secret first (wrong or missing: refused, logged, closed).
 * Frames are bounded ({@link Config#maxFrameBytes}, and 4 KiB before HELLO); a malformed, truncated or oversized
 * frame closes that connection only. A request the shard cannot honour (unknown model, key out of range, lengths
 * that disagree) gets an error reply and the connection stays open.
 */
public final class PsServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PsServer.class);

  public static final int DEFAULT_MAX_FRAME_BYTES = 32 << 20;
  /** Bodies above this many bytes are LZ4-compressed when that makes them smaller. */
  public static final int DEFAULT_COMPRESS_ABOVE = 16 << 10;
  /** The line a server process prints on stdout once it listens, followed by its port. */
  public static final String LISTENING_LINE = "STRATUS_PS_LISTENING ";
  /** Environment variable holding a base64 Java-serialized {@link StoreSpec} for a process's checkpoints. */
  public static final String STORE_SPEC_ENV = "STRATUS_PS_STORE_SPEC";

  private static final int MAX_FRAME_BEFORE_HELLO = 4096;
  /** How long a new connection may take to prove the secret before it is dropped. */
  private static final int HELLO_TIMEOUT_MS = 10_000;
  private static final int MAX_CONNECTIONS = 1024;
  private static final int FLUSH_ABOVE = 64 << 10;

  /**
   * How to run a shard. {@code Config.of(token)} listens on 127.0.0.1 on a free port as shard 0 without
   * checkpoints; each {@code with}-style method returns a changed copy.
   */
  public record Config(
      String token,
      String bind,
      int port,
      int shard,
      S3Path checkpoint,
      StoreSpec store,
      int snapshotEverySeconds,
      int maxFrameBytes,
      int compressAbove,
      long kvMaxBytes) {
    public Config {
      if (token == null || token.isEmpty()) {
        throw new IllegalArgumentException("a parameter server needs a job secret (token)");
      }
      if ((checkpoint == null) != (store == null)) {
        throw new IllegalArgumentException("a checkpoint location needs a store, and a store a checkpoint location");
      }
      if (snapshotEverySeconds > 0 && checkpoint == null) {
        throw new IllegalArgumentException("periodic snapshots need a checkpoint location");
      }
      if (maxFrameBytes < 1024) {
        throw new IllegalArgumentException("maxFrameBytes must be at least 1024, got " + maxFrameBytes);
      }
    }

    public static Config of(String token) {
      return new Config(token, "127.0.0.1", 0, 0, null, null, 0, DEFAULT_MAX_FRAME_BYTES, DEFAULT_COMPRESS_ABOVE,
          256L << 20);
    }

    public Config bind(String address) {
      return new Config(token, address, port, shard, checkpoint, store, snapshotEverySeconds, maxFrameBytes,
          compressAbove, kvMaxBytes);
    }

    public Config port(int port) {
      return new Config(token, bind, port, shard, checkpoint, store, snapshotEverySeconds, maxFrameBytes,
          compressAbove, kvMaxBytes);
    }

    public Config shard(int shard) {
      return new Config(token, bind, port, shard, checkpoint, store, snapshotEverySeconds, maxFrameBytes,
          compressAbove, kvMaxBytes);
    }

    /** Snapshots go to {@code location/shard-<shard>/<model>.snapshot} in {@code store}. */
    public Config checkpoint(S3Path location, StoreSpec store) {
      return new Config(token, bind, port, shard, location, store, snapshotEverySeconds, maxFrameBytes,
          compressAbove, kvMaxBytes);
    }

    /** Snapshots every model whose clock moved, every {@code seconds} (0: only on demand). */
    public Config snapshotEvery(int seconds) {
      return new Config(token, bind, port, shard, checkpoint, store, seconds, maxFrameBytes, compressAbove,
          kvMaxBytes);
    }

    public Config maxFrameBytes(int bytes) {
      return new Config(token, bind, port, shard, checkpoint, store, snapshotEverySeconds, bytes, compressAbove,
          kvMaxBytes);
    }

    public Config compressAbove(int bytes) {
      return new Config(token, bind, port, shard, checkpoint, store, snapshotEverySeconds, maxFrameBytes, bytes,
          kvMaxBytes);
    }

    public Config kvMaxBytes(long bytes) {
      return new Config(token, bind, port, shard, checkpoint, store, snapshotEverySeconds, maxFrameBytes,
          compressAbove, bytes);
    }
  }

  private final Config config;
  private final byte[] token;
  private final ServerSocket serverSocket;
  private final ObjectStore store;
  private final KvStore kv;
  private final Map<String, ServerModel> modelsByName = new ConcurrentHashMap<>();
  private volatile ServerModel[] modelsById = new ServerModel[0];
  private final Map<String, Long> snapshotChanges = new ConcurrentHashMap<>(); // model -> changes() at snapshot
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final ExecutorService storeCalls;
  private final ScheduledExecutorService timer;
  private final Thread acceptor;
  private final AtomicInteger connectionCount = new AtomicInteger();
  private final AtomicInteger queueDepth = new AtomicInteger();
  private final LongAdder updates = new LongAdder();
  private final LongAdder keysUpdated = new LongAdder();
  private final LongAdder requests = new LongAdder();
  private final LongAdder bytesIn = new LongAdder();
  private final LongAdder bytesOut = new LongAdder();
  private volatile double updatesPerSecond;
  private final AtomicLong badPeersLogged = new AtomicLong();
  private final AtomicLong badPeers = new AtomicLong();
  private long lastRateUpdates;
  private volatile boolean closed;

  private PsServer(Config config) throws IOException {
    this.config = config;
    this.token = config.token().getBytes(StandardCharsets.UTF_8);
    this.kv = new KvStore(config.kvMaxBytes());
    this.store = config.store() == null ? null : ObjectStore.of(config.store());
    if (store != null) {
      ensureBucket(config.checkpoint().bucket());
      restoreAll();
    }
    this.serverSocket = new ServerSocket();
    serverSocket.setReuseAddress(true);
    serverSocket.bind(new InetSocketAddress(InetAddress.getByName(config.bind()), config.port()), 256);
    this.storeCalls = Executors.newFixedThreadPool(2, daemon("ps-store-" + config.shard()));
    // two threads: a periodic snapshot waiting on the store must not hold up the rate sampling
    this.timer = Executors.newScheduledThreadPool(2, daemon("ps-timer-" + config.shard()));
    timer.scheduleAtFixedRate(this::sampleRate, 1, 1, TimeUnit.SECONDS);
    if (config.snapshotEverySeconds() > 0) {
      int every = config.snapshotEverySeconds();
      timer.scheduleWithFixedDelay(this::snapshotChanged, every, every, TimeUnit.SECONDS);
    }
    this.acceptor = new Thread(this::acceptLoop, "ps-accept-" + config.shard());
    acceptor.setDaemon(true);
    acceptor.start();
    LOG.info("parameter-server shard {} listening on {}", config.shard(), address());
  }

  /** Starts a shard in this JVM; with a checkpoint configured, it first restores every model snapshot found there. */
  public static PsServer start(Config config) throws IOException {
    return new PsServer(config);
  }

  public int port() {
    return serverSocket.getLocalPort();
  }

  public InetSocketAddress address() {
    return new InetSocketAddress(serverSocket.getInetAddress(), port());
  }

  public ShardMetrics metrics() {
    return new ShardMetrics(
        config.shard(), updatesPerSecond, updates.sum(), keysUpdated.sum(), requests.sum(), bytesIn.sum(),
        bytesOut.sum(), connectionCount.get(), queueDepth.get(), modelsByName.size());
  }

  /** Stops listening, closes every connection and stops the timers; models are not snapshotted. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      serverSocket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (Connection c : connections) {
      c.close();
    }
    timer.shutdownNow();
    storeCalls.shutdownNow();
    try {
      acceptor.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  private void acceptLoop() {
    int n = 0;
    while (!closed) {
      Socket socket;
      try {
        socket = serverSocket.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("shard {}: accept failed: {}", config.shard(), e.toString());
        }
        continue;
      }
      if (connectionCount.get() >= MAX_CONNECTIONS) {
        logBadPeer("shard {}: refused connection from {}: {} connections already open", config.shard(),
            socket.getRemoteSocketAddress(), MAX_CONNECTIONS);
        closeQuietly(socket);
        continue;
      }
      try {
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(HELLO_TIMEOUT_MS);
        Connection connection = new Connection(socket);
        connections.add(connection);
        connectionCount.incrementAndGet();
        Thread thread = new Thread(connection, "ps-conn-" + config.shard() + "-" + (++n));
        thread.setDaemon(true);
        thread.start();
      } catch (IOException | RuntimeException | OutOfMemoryError e) {
        LOG.warn("shard {}: could not serve a connection from {}: {}", config.shard(),
            socket.getRemoteSocketAddress(), e.toString());
        closeQuietly(socket);
      }
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  private void sampleRate() {
    long now = updates.sum();
    updatesPerSecond = now - lastRateUpdates;
    lastRateUpdates = now;
    long unlogged = badPeers.getAndSet(0) - badPeersLogged.getAndSet(0);
    if (unlogged > 0) {
      LOG.warn("shard {}: {} more connections refused or closed for bad frames in the last second", config.shard(),
          unlogged);
    }
  }

  /**
   * Logs a refused or misbehaving peer: every one of the first few each second, then a count per second, so a flood
   * of garbage cannot flood the log.
   */
  private void logBadPeer(String format, Object... args) {
    badPeers.incrementAndGet();
    if (badPeersLogged.incrementAndGet() <= 10) {
      LOG.warn(format, args);
    }
  }

  /** A request the shard cannot honour: answered with an error reply, the connection stays open. */
  private static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message, null, false, false);
    }
  }

  private ServerModel model(int id) {
    ServerModel[] models = modelsById;
    if (id < 0 || id >= models.length) {
      throw new BadRequest("unknown model id " + id + " on shard " + config.shard() + " (create the model first)");
    }
    return models[id];
  }

  private ServerModel createModel(String name, ModelSpec spec, int rowStart, int rowEnd) {
    if (name.isEmpty() || name.length() > 200) {
      throw new BadRequest("a model name must have 1 to 200 characters");
    }
    if (rowStart < 0 || rowStart > rowEnd || rowEnd > spec.rows()) {
      throw new BadRequest("row range " + rowStart + ".." + rowEnd + " is not within the model's " + spec.rows()
          + " rows");
    }
    synchronized (modelsByName) {
      ServerModel existing = modelsByName.get(name);
      if (existing != null) {
        if (!existing.spec.equals(spec) || existing.rowStart != rowStart || existing.rowEnd != rowEnd) {
          throw new BadRequest("model '" + name + "' already exists on shard " + config.shard() + " as " + existing.spec
              + " rows " + existing.rowStart + ".." + existing.rowEnd + "; asked for " + spec + " rows " + rowStart
              + ".." + rowEnd);
        }
        return existing;
      }
      long bytes = (long) (rowEnd - rowStart) * spec.cols() * (spec.optimizer() == Optimizer.SGD ? 4 : 8);
      Runtime rt = Runtime.getRuntime();
      long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
      if (bytes > available - (64L << 20)) {
        throw new BadRequest("model '" + name + "' needs " + (bytes >> 20) + " MiB on shard " + config.shard()
            + ", which has about " + (available >> 20) + " MiB free");
      }
      ServerModel model = new ServerModel(modelsById.length, name, spec, rowStart, rowEnd);
      ServerModel[] grown = Arrays.copyOf(modelsById, modelsById.length + 1);
      grown[model.id] = model;
      modelsById = grown;
      modelsByName.put(name, model);
      return model;
    }
  }

  // ---- snapshots -------------------------------------------------------------------------------------------

  /** Creates the bucket unless it exists; shards starting together race to create it, and losing is fine. */
  private void ensureBucket(String bucket) {
    try {
      store.ensureBucket(bucket);
    } catch (StoreException e) {
      if (!store.bucketExists(bucket)) {
        throw e;
      }
    }
  }

  private S3Path shardPrefix() {
    return config.checkpoint().resolve("shard-" + config.shard() + "/");
  }

  private S3Path snapshotPath(String modelName) {
    return shardPrefix().resolve(URLEncoder.encode(modelName, StandardCharsets.UTF_8) + ".snapshot");
  }

  private long snapshot(ServerModel model) {
    if (store == null) {
      throw new BadRequest("shard " + config.shard() + " has no checkpoint location (start it with --checkpoint)");
    }
    long changes = model.changes();
    Snapshot snapshot = model.snapshot();
    store.put(snapshotPath(model.name), snapshot.encode());
    snapshotChanges.put(model.name, changes);
    return snapshot.clock();
  }

  private long restore(ServerModel model) {
    if (store == null) {
      throw new BadRequest("shard " + config.shard() + " has no checkpoint location (start it with --checkpoint)");
    }
    S3Path path = snapshotPath(model.name);
    Snapshot snapshot = Snapshot.decode(store.get(path), path.toString());
    try {
      model.restore(snapshot);
    } catch (IllegalArgumentException e) {
      throw new BadRequest(e.getMessage());
    }
    snapshotChanges.put(model.name, model.changes());
    return snapshot.clock();
  }

  private void restoreAll() {
    for (ObjectStore.ObjectInfo object : store.list(shardPrefix())) {
      String key = object.path().key();
      if (!key.endsWith(".snapshot")) {
        continue;
      }
      Snapshot snapshot = Snapshot.decode(store.get(object.path()), object.path().toString());
      String fileName = key.substring(key.lastIndexOf('/') + 1, key.length() - ".snapshot".length());
      if (!URLDecoder.decode(fileName, StandardCharsets.UTF_8).equals(snapshot.name())) {
        throw new PsException("snapshot " + object.path() + " holds model '" + snapshot.name() + "'");
      }
      ServerModel model = createModel(snapshot.name(), snapshot.spec(), snapshot.rowStart(), snapshot.rowEnd());
      model.restore(snapshot);
      snapshotChanges.put(model.name, model.changes());
      LOG.info("shard {}: restored model '{}' at clock {} from {}", config.shard(), model.name, snapshot.clock(),
          object.path());
    }
  }

  private void snapshotChanged() {
    for (ServerModel model : modelsById) {
      if (model.changes() != snapshotChanges.getOrDefault(model.name, -1L)) {
        try {
          snapshot(model);
        } catch (RuntimeException e) {
          LOG.warn("shard {}: periodic snapshot of '{}' failed: {}", config.shard(), model.name, e.toString());
        }
      }
    }
  }

  // ---- connections -----------------------------------------------------------------------------------------

  private final class Connection implements Runnable {
    private final Socket socket;
    private final String peer;
    private final PeekableInput in;
    private final OutputStream out;
    private final FrameOut replies = new FrameOut(config.compressAbove());
    private final FrameIn body = new FrameIn();
    private byte[] frame = new byte[4096];
    private byte[] inflated = new byte[0];
    private int[] keys = new int[1024];
    private LongAdder[] workerCounters = new LongAdder[0];
    private boolean authenticated;
    private int workerId;

    Connection(Socket socket) throws IOException {
      this.socket = socket;
      this.peer = String.valueOf(socket.getRemoteSocketAddress());
      this.in = new PeekableInput(socket.getInputStream());
      this.out = socket.getOutputStream();
    }

    void close() {
      closeQuietly(socket);
    }

    @Override
    public void run() {
      try {
        while (readAndServe()) {
          // Replies wait while further requests are already buffered (pipelining): one write answers them all.
          if (in.buffered() == 0 || replies.size() > FLUSH_ABOVE) {
            flush();
          }
        }
      } catch (MalformedFrameException e) {
        logBadPeer("shard {}: closing connection from {}: {}", config.shard(), peer, e.getMessage());
      } catch (SocketTimeoutException e) {
        logBadPeer("shard {}: closing connection from {}: no HELLO within {} ms", config.shard(), peer,
            HELLO_TIMEOUT_MS);
      } catch (SocketException e) {
        LOG.debug("shard {}: connection from {} ended: {}", config.shard(), peer, e.toString());
      } catch (IOException e) {
        LOG.debug("shard {}: connection from {} failed: {}", config.shard(), peer, e.toString());
      } finally {
        close();
        connections.remove(this);
        connectionCount.decrementAndGet();
      }
    }

    private void flush() throws IOException {
      synchronized (replies) {
        if (replies.size() > 0) {
          replies.writeTo(out);
          bytesOut.add(replies.size());
          replies.clear();
        }
      }
    }

    /** Reads one frame and serves it; false at a clean end of stream between frames. */
    private boolean readAndServe() throws IOException, MalformedFrameException {
      int b0 = in.read();
      if (b0 < 0) {
        return false;
      }
      int length = (b0 << 24) | (readByte() << 16) | (readByte() << 8) | readByte();
      int limit = authenticated ? config.maxFrameBytes() : MAX_FRAME_BEFORE_HELLO;
      if (length < Wire.HEADER_BYTES || length > limit) {
        throw new MalformedFrameException("frame length " + length + " is outside [" + Wire.HEADER_BYTES + ", "
            + limit + "]");
      }
      readFrame(length);
      bytesIn.add(4L + length);
      byte opcode = frame[0];
      byte flags = frame[1];
      int requestId = (frame[2] & 0xFF) | (frame[3] & 0xFF) << 8 | (frame[4] & 0xFF) << 16 | frame[5] << 24;
      if ((flags & ~Wire.FLAG_LZ4) != 0) {
        throw new MalformedFrameException("unknown flags " + flags);
      }
      if (!Wire.isRequest(opcode)) {
        throw new MalformedFrameException("unknown opcode " + opcode);
      }
      if ((flags & Wire.FLAG_LZ4) != 0) {
        if (!authenticated) {
          throw new MalformedFrameException("compressed frame before HELLO");
        }
        inflate(length);
      } else {
        body.reset(frame, Wire.HEADER_BYTES, length - Wire.HEADER_BYTES);
      }
      if (!authenticated) {
        return hello(opcode, requestId);
      }
      queueDepth.incrementAndGet();
      serve(opcode, requestId);
      return true;
    }

    private int readByte() throws IOException {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("stream ended inside a frame header");
      }
      return b;
    }

    /** Reads a frame body, growing the buffer only as bytes actually arrive, so a lying length costs nothing. */
    private void readFrame(int length) throws IOException {
      int read = 0;
      while (read < length) {
        if (read == frame.length) {
          frame = Arrays.copyOf(frame, (int) Math.min(length, frame.length * 2L));
        }
        int n = in.read(frame, read, Math.min(length, frame.length) - read);
        if (n < 0) {
          throw new EOFException("stream ended inside a frame body");
        }
        read += n;
      }
    }

    private void inflate(int length) throws MalformedFrameException {
      FrameIn header = body;
      header.reset(frame, Wire.HEADER_BYTES, length - Wire.HEADER_BYTES);
      int rawLength = header.i32();
      if (rawLength < 0 || rawLength > config.maxFrameBytes()) {
        throw new MalformedFrameException("compressed body claims " + rawLength + " bytes");
      }
      if (inflated.length < rawLength) {
        inflated = new byte[rawLength];
      }
      int compressedLength = length - Wire.HEADER_BYTES - 4;
      try {
        int n = LZ4Factory.fastestInstance().safeDecompressor()
            .decompress(frame, Wire.HEADER_BYTES + 4, compressedLength, inflated, 0, rawLength);
        if (n != rawLength) {
          throw new MalformedFrameException("compressed body inflates to " + n + " bytes, not " + rawLength);
        }
      } catch (LZ4Exception e) {
        throw new MalformedFrameException("corrupt LZ4 body: " + e.getMessage());
      }
      body.reset(inflated, 0, rawLength);
    }

    private boolean hello(byte opcode, int requestId) throws IOException, MalformedFrameException {
      if (opcode != Wire.HELLO) {
        logBadPeer("shard {}: refused connection from {}: it sent opcode {} before proving the secret",
            config.shard(), peer, opcode);
        replyError(requestId, "authenticate first: HELLO with the job secret");
        flush();
        return false;
      }
      byte[] offered = body.bytes();
      int worker = body.i32();
      body.expectEnd();
      if (!MessageDigest.isEqual(offered, token)) {
        logBadPeer("shard {}: refused connection from {}: wrong secret", config.shard(), peer);
        replyError(requestId, "wrong secret: connection refused");
        flush();
        return false;
      }
      authenticated = true;
      workerId = worker;
      socket.setSoTimeout(0); // an authenticated worker may stay quiet as long as it likes
      synchronized (replies) {
        replies.begin(Wire.REPLY_OK, requestId).i32(config.maxFrameBytes()).i32(config.shard()).end();
      }
      flush();
      return true;
    }

    private void replyError(int requestId, String message) {
      synchronized (replies) {
        replies.abandonFrame();
        replies.begin(Wire.REPLY_ERROR, requestId).str(message).end();
      }
    }

    private void answered() {
      queueDepth.decrementAndGet();
      requests.increment();
    }

    private void serve(byte opcode, int requestId) throws MalformedFrameException {
      boolean answeredLater = false;
      try {
        switch (opcode) {
          case Wire.PULL -> pull(requestId);
          case Wire.PUSH -> push(requestId);
          case Wire.SNAPSHOT, Wire.RESTORE -> {
            ServerModel model = model(body.i32());
            body.expectEnd();
            storeCall(requestId, opcode == Wire.SNAPSHOT ? () -> snapshot(model) : () -> restore(model));
            answeredLater = true;
          }
          default -> {
            synchronized (replies) {
              serveSmall(opcode, requestId);
            }
          }
        }
      } catch (BadRequest | IllegalArgumentException | StoreException | PsException e) {
        replyError(requestId, e.getMessage());
      } finally {
        if (!answeredLater) {
          answered();
        }
      }
    }

    private void pull(int requestId) throws MalformedFrameException {
      ServerModel model = model(body.i32());
      keys = KeyCodec.decode(body, keys);
      body.expectEnd();
      checkRows(model);
      long replyBytes = (long) keys[0] * model.spec.cols() * 4;
      if (replyBytes > config.maxFrameBytes() - 64) {
        throw new BadRequest("a pull of " + keys[0] + " rows (" + replyBytes + " bytes) exceeds the frame limit of "
            + config.maxFrameBytes() + " bytes: pull fewer keys at a time");
      }
      synchronized (replies) {
        replies.begin(Wire.REPLY_OK, requestId);
        model.pull(keys, replies);
        replies.end();
      }
    }

    private void push(int requestId) throws MalformedFrameException {
      ServerModel model = model(body.i32());
      boolean countsAsUpdate = body.u8() != 0;
      keys = KeyCodec.decode(body, keys);
      int n = keys[0];
      long expected = (long) n * model.spec.cols() * 4;
      if (body.remaining() != expected) {
        throw new BadRequest("push to '" + model.name + "' has " + n + " keys x " + model.spec.cols()
            + " cols but " + body.remaining() / 4.0 + " gradient floats");
      }
      checkRows(model);
      model.push(keys, body, countsAsUpdate ? workerCounter(model) : null);
      updates.increment();
      keysUpdated.add(n);
      synchronized (replies) {
        replies.begin(Wire.REPLY_OK, requestId).end();
      }
    }

    private void checkRows(ServerModel model) {
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

    private void storeCall(int requestId, LongSupplier call) {
      storeCalls.execute(() -> {
        try {
          long clock = call.getAsLong();
          synchronized (replies) {
            replies.begin(Wire.REPLY_OK, requestId).i64(clock).end();
          }
        } catch (RuntimeException e) {
          LOG.warn("shard {}: snapshot call failed: {}", config.shard(), e.toString());
          replyError(requestId, e.getMessage());
        }
        answered();
        try {
          flush();
        } catch (IOException e) {
          close(); // the reader notices and cleans up
        }
      });
    }

    /** The calls whose reply is small or already bounded by the request; run holding the reply lock. */
    private void serveSmall(byte opcode, int requestId) throws MalformedFrameException {
      FrameOut r = replies;
      switch (opcode) {
        case Wire.CREATE_MODEL -> {
          String name = body.str();
          ModelSpec spec = ModelSpec.readFrom(body);
          int rowStart = body.i32();
          int rowEnd = body.i32();
          body.expectEnd();
          r.begin(Wire.REPLY_OK, requestId).i32(createModel(name, spec, rowStart, rowEnd).id).end();
        }
        case Wire.PULL_RANGE -> {
          ServerModel model = model(body.i32());
          int from = body.i32();
          int count = body.i32();
          body.expectEnd();
          if (from < model.rowStart || count < 0 || (long) from + count > model.rowEnd) {
            throw new BadRequest("rows " + from + "+" + count + " are not within " + model.rowStart + ".."
                + model.rowEnd + " of '" + model.name + "' on this shard");
          }
          if ((long) count * model.spec.cols() * 4 > config.maxFrameBytes() - 64) {
            throw new BadRequest("a range of " + count + " rows exceeds the frame limit");
          }
          r.begin(Wire.REPLY_OK, requestId);
          model.pullRange(from, count, r);
          r.end();
        }
        case Wire.MODEL_STATUS -> {
          ServerModel model = model(body.i32());
          body.expectEnd();
          Map<Integer, Long> counts = model.updatesByWorker();
          r.begin(Wire.REPLY_OK, requestId).i64(model.clock()).i32(counts.size());
          counts.forEach((worker, count) -> r.i32(worker).i64(count));
          r.end();
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
          }
          if (r.currentFrameLength() > config.maxFrameBytes()) {
            throw new BadRequest("the values of " + n + " keys exceed the frame limit: get fewer at a time");
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
          }
          if (r.currentFrameLength() > config.maxFrameBytes()) {
            throw new BadRequest(found.size() + " keys start with '" + prefix + "', more than one reply can hold: "
                + "list a longer prefix");
          }
          r.end();
        }
        case Wire.METRICS -> {
          body.expectEnd();
          metrics().writeTo(r.begin(Wire.REPLY_OK, requestId));
          r.end();
        }
        case Wire.PING -> {
          body.expectEnd();
          r.begin(Wire.REPLY_OK, requestId).end();
        }
        case Wire.HELLO -> throw new BadRequest("already authenticated");
        default -> throw new MalformedFrameException("unknown opcode " + opcode);
      }
    }

    private void writeValue(FrameOut r, byte[] value) {
      r.u8(value == null ? 0 : 1);
      if (value != null) {
        r.bytes(value);
      }
    }
  }

  /** A buffered socket input that tells, without a system call, whether bytes are already buffered. */
  private static final class PeekableInput extends BufferedInputStream {
    PeekableInput(InputStream in) {
      super(in, 64 << 10);
    }

    synchronized int buffered() {
      return count - pos;
    }
  }

  // ---- process entry point ---------------------------------------------------------------------------------

  /**
   * Runs one shard until killed. Options: {@code --port N} (0: a free port), {@code --bind ADDRESS} (default
   * 127.0.0.1), {@code --token SECRET} or {@code --token-env VAR} (read the secret from an environment variable,
   * keeping it off the command line), {@code --shard I}, {@code --checkpoint s3://bucket/prefix} with the store
   * from {@code --store-endpoint URI --store-region R} (keys from STRATUS_STORE_ACCESS_KEY and
   * STRATUS_STORE_SECRET_KEY), {@code --store-aws REGION}, or {@value #STORE_SPEC_ENV}; {@code --snapshot-every
   * SECONDS}, {@code --max-frame-bytes N}, {@code --kv-max-bytes N}. Prints {@value #LISTENING_LINE}PORT when ready.
   */
  public static void main(String[] args) throws Exception {
    Config config;
    try {
      config = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("PsServer: " + e.getMessage());
      System.exit(2);
      return;
    }
    PsServer server = start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }));
    System.out.println(LISTENING_LINE + server.port());
    System.out.flush();
    stopped.await();
  }

  static Config parse(String[] args) throws IOException, ClassNotFoundException {
    String token = null;
    String bind = "127.0.0.1";
    int port = 0;
    int shard = 0;
    S3Path checkpoint = null;
    StoreSpec store = null;
    String endpoint = null;
    String region = "us-east-1";
    int snapshotEvery = 0;
    int maxFrame = DEFAULT_MAX_FRAME_BYTES;
    long kvMax = 256L << 20;
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("option " + option + " needs a value");
      }
      String value = args[++i];
      switch (option) {
        case "--port" -> port = Integer.parseInt(value);
        case "--bind" -> bind = value;
        case "--token" -> token = value;
        case "--token-env" -> {
          token = System.getenv(value);
          if (token == null) {
            throw new IllegalArgumentException("environment variable " + value + " (the secret) is not set");
          }
        }
        case "--shard" -> shard = Integer.parseInt(value);
        case "--checkpoint" -> checkpoint = S3Path.parse(value);
        case "--store-endpoint" -> endpoint = value;
        case "--store-region" -> region = value;
        case "--store-aws" -> store = StoreSpec.aws(value);
        case "--snapshot-every" -> snapshotEvery = Integer.parseInt(value);
        case "--max-frame-bytes" -> maxFrame = Integer.parseInt(value);
        case "--kv-max-bytes" -> kvMax = Long.parseLong(value);
        default -> throw new IllegalArgumentException("unknown option " + option);
      }
    }
    if (endpoint != null) {
      store = StoreSpec.endpoint(URI.create(endpoint), region, System.getenv("STRATUS_STORE_ACCESS_KEY"),
          System.getenv("STRATUS_STORE_SECRET_KEY"));
    }
    String serializedSpec = System.getenv(STORE_SPEC_ENV);
    if (store == null && checkpoint != null && serializedSpec != null) {
      try (ObjectInputStream in =
          new ObjectInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(serializedSpec)))) {
        store = (StoreSpec) in.readObject();
      }
    }
    if (checkpoint != null && store == null) {
      throw new IllegalArgumentException("--checkpoint needs a store: --store-endpoint, --store-aws or "
          + STORE_SPEC_ENV);
    }
    if (token == null) {
      throw new IllegalArgumentException("a job secret is required: --token or --token-env");
    }
    Config config = Config.of(token).bind(bind).port(port).shard(shard).snapshotEvery(0).maxFrameBytes(maxFrame)
        .kvMaxBytes(kvMax);
    if (checkpoint != null) {
      config = config.checkpoint(checkpoint, store).snapshotEvery(snapshotEvery);
    }
    return config;
  }
}
