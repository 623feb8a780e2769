package dev.stratus.ps;

import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * <p>Its parts: {@link ShardListener} accepts connections and runs them on a few event-loop threads;
 * {@link ServerConnection} reads a connection's frames ({@link FrameReader}), holds its handshake and its flow
 * control; {@link Requests} serves its requests against the {@link ModelRegistry}, the {@link KvStore} and the
 * {@link Snapshots}; {@link ShardCounters} counts; {@link ServerCommandLine} runs a shard as a process.
 *
 * <p>Threading: pulls, pushes and key-value calls are served inline on the connection's event-loop thread (they
 * take microseconds); snapshots and restores, which wait on the object store, run on a small pool and answer out
 * of order. Models lock per row stripe (see {@link ServerModel}), so pushes from many connections run in parallel
 * without losing updates.
 *
 * <p>Bad input and abuse: a connection must send HELLO with the secret first, within {@link Limits#helloTimeoutMillis}
 * (wrong, missing or late: refused, logged, closed); at most {@link Limits#maxHandshakes} connections may be waiting
 * to do so, apart from the {@link Limits#maxWorkers} authenticated ones, so unauthenticated sockets cannot crowd out
 * workers. Frames are bounded ({@link Config#maxFrameBytes}, and 4 KiB before HELLO); a malformed, truncated or
 * oversized frame closes that connection only. A request the shard cannot honour (unknown model, key out of range,
 * lengths that disagree, a full key-value store or model budget) gets an error reply and the connection stays open.
 * Memory is bounded: models by {@link Limits#modelsMaxBytes}, the key-value store (keys and values) by
 * {@link Config#kvMaxBytes}, large frames of all connections together by a quarter of the heap, and a connection's
 * unsent replies by its write buffer (a peer that does not read is not read from).
 */
public final class PsServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PsServer.class);

  public static final int DEFAULT_MAX_FRAME_BYTES = 32 << 20;
  /** Bodies above this many bytes are LZ4-compressed when that makes them smaller. */
  public static final int DEFAULT_COMPRESS_ABOVE = 16 << 10;
  /** The line a server process prints on stdout once it listens, followed by its port. */
  public static final String LISTENING_LINE = "STRATUS_PS_LISTENING ";
  /** Environment variable holding a base64 Java-serialized {@link StoreSpec} for a process's checkpoints. */
  public static final String STORE_SPEC_ENV = ServerCommandLine.STORE_SPEC_ENV;

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
      long kvMaxBytes,
      Limits limits) {
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
      if (kvMaxBytes < 0) {
        throw new IllegalArgumentException("kvMaxBytes must not be negative, got " + kvMaxBytes);
      }
      if (limits == null) {
        throw new IllegalArgumentException("limits must not be null");
      }
    }

    public static Config of(String token) {
      return new Config(token, "127.0.0.1", 0, 0, null, null, 0, DEFAULT_MAX_FRAME_BYTES, DEFAULT_COMPRESS_ABOVE,
          256L << 20, Limits.DEFAULT);
    }

    public Config bind(String address) {
      return new Config(token, address, port, shard, checkpoint, store, snapshotEverySeconds, maxFrameBytes,
          compressAbove, kvMaxBytes, limits);
    }

    public Config port(int port) {
      return new Config(token, bind, port, shard, checkpoint, store, snapshotEverySeconds, maxFrameBytes,
          compressAbove, kvMaxBytes, limits);
    }

    public Config shard(int shard) {
      return new Config(token, bind, port, shard, checkpoint, store, snapshotEverySeconds, maxFrameBytes,
          compressAbove, kvMaxBytes, limits);
    }

    /** Snapshots go to {@code location/shard-<shard>/<model>.snapshot} in {@code store}. */
    public Config checkpoint(S3Path location, StoreSpec store) {
      return new Config(token, bind, port, shard, location, store, snapshotEverySeconds, maxFrameBytes,
          compressAbove, kvMaxBytes, limits);
    }

    /** Snapshots every model whose clock moved, every {@code seconds} (0: only on demand). */
    public Config snapshotEvery(int seconds) {
      return new Config(token, bind, port, shard, checkpoint, store, seconds, maxFrameBytes, compressAbove,
          kvMaxBytes, limits);
    }

    public Config maxFrameBytes(int bytes) {
      return new Config(token, bind, port, shard, checkpoint, store, snapshotEverySeconds, bytes, compressAbove,
          kvMaxBytes, limits);
    }

    public Config compressAbove(int bytes) {
      return new Config(token, bind, port, shard, checkpoint, store, snapshotEverySeconds, maxFrameBytes, bytes,
          kvMaxBytes, limits);
    }

    public Config kvMaxBytes(long bytes) {
      return new Config(token, bind, port, shard, checkpoint, store, snapshotEverySeconds, maxFrameBytes,
          compressAbove, bytes, limits);
    }

    /** How many connections, threads and bytes of models the shard allows: see {@link Limits}. */
    public Config limits(Limits limits) {
      return new Config(token, bind, port, shard, checkpoint, store, snapshotEverySeconds, maxFrameBytes,
          compressAbove, kvMaxBytes, limits);
    }
  }

  /**
   * How much a shard takes on. {@code maxWorkers}: authenticated connections at once; {@code maxHandshakes}:
   * connections at once that have not proved the secret yet (counted apart, so they cannot crowd out workers);
   * {@code helloTimeoutMillis}: how long a new connection may take to prove it; {@code ioThreads}: event-loop
   * threads serving connections (0: two per core); {@code modelsMaxBytes}: memory all models together may take
   * (0: half the heap).
   */
  public record Limits(int maxWorkers, int maxHandshakes, int helloTimeoutMillis, int ioThreads,
      long modelsMaxBytes) {
    public static final Limits DEFAULT = new Limits(16_384, 256, 10_000, 0, 0);

    public Limits {
      if (maxWorkers < 1 || maxHandshakes < 1 || helloTimeoutMillis < 1 || ioThreads < 0 || modelsMaxBytes < 0) {
        throw new IllegalArgumentException("limits must be positive (ioThreads and modelsMaxBytes may be 0: "
            + "automatic), got " + this);
      }
    }

    public Limits maxWorkers(int n) {
      return new Limits(n, maxHandshakes, helloTimeoutMillis, ioThreads, modelsMaxBytes);
    }

    public Limits maxHandshakes(int n) {
      return new Limits(maxWorkers, n, helloTimeoutMillis, ioThreads, modelsMaxBytes);
    }

    public Limits helloTimeoutMillis(int millis) {
      return new Limits(maxWorkers, maxHandshakes, millis, ioThreads, modelsMaxBytes);
    }

    public Limits ioThreads(int n) {
      return new Limits(maxWorkers, maxHandshakes, helloTimeoutMillis, n, modelsMaxBytes);
    }

    public Limits modelsMaxBytes(long bytes) {
      return new Limits(maxWorkers, maxHandshakes, helloTimeoutMillis, ioThreads, bytes);
    }

    /** The models budget in bytes: as configured, or half the heap. */
    long modelsBudget() {
      return modelsMaxBytes > 0 ? modelsMaxBytes : Runtime.getRuntime().maxMemory() / 2;
    }
  }

  private final Config config;
  private final ShardParts parts;
  private final ExecutorService storeCalls;
  private final ScheduledExecutorService timer;
  private final ShardListener listener;
  private volatile boolean closed;

  private PsServer(Config config) throws IOException {
    this.config = config;
    ShardCounters counters = new ShardCounters(config.shard());
    ModelRegistry models = new ModelRegistry(config.shard(), config.limits().modelsBudget());
    Snapshots snapshots = new Snapshots(config.shard(), config.checkpoint(), config.store(), models);
    snapshots.restoreAll();
    this.storeCalls = Executors.newFixedThreadPool(2, daemon("ps-store-" + config.shard()));
    this.parts = new ShardParts(config, counters, models, new KvStore(config.kvMaxBytes()), snapshots, storeCalls,
        frameBudget(Runtime.getRuntime().maxMemory() / 4));
    // two threads: a periodic snapshot waiting on the store must not hold up the rate sampling
    this.timer = Executors.newScheduledThreadPool(2, daemon("ps-timer-" + config.shard()));
    timer.scheduleAtFixedRate(counters::tick, 1, 1, TimeUnit.SECONDS);
    if (config.snapshotEverySeconds() > 0) {
      int every = config.snapshotEverySeconds();
      timer.scheduleWithFixedDelay(snapshots::snapshotChanged, every, every, TimeUnit.SECONDS);
    }
    try {
      this.listener = new ShardListener(parts);
    } catch (RuntimeException | IOException e) {
      timer.shutdownNow();
      storeCalls.shutdownNow();
      throw e;
    }
    LOG.info("parameter-server shard {} listening on {}", config.shard(), address());
  }

  /** Starts a shard in this JVM; with a checkpoint configured, it first restores every model snapshot found there. */
  public static PsServer start(Config config) throws IOException {
    return new PsServer(config);
  }

  public int port() {
    return listener.address().getPort();
  }

  public InetSocketAddress address() {
    return listener.address();
  }

  public ShardMetrics metrics() {
    return parts.metrics();
  }

  /** Connections open now that have not proved the secret yet. */
  int handshaking() {
    return parts.counters().handshakes.get();
  }

  /** Stops listening, closes every connection and stops the timers; models are not snapshotted. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    listener.close();
    timer.shutdownNow();
    storeCalls.shutdownNow();
  }

  /** Runs one shard as a process until killed: see {@link ServerCommandLine} for its options. */
  public static void main(String[] args) throws Exception {
    ServerCommandLine.main(args);
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Bytes that the large frame buffers of all connections may hold together. */
  private static FrameReader.Budget frameBudget(long bytes) {
    AtomicLong left = new AtomicLong(bytes);
    return new FrameReader.Budget() {
      @Override
      public boolean reserve(long n) {
        if (left.addAndGet(-n) < 0) {
          left.addAndGet(n);
          return false;
        }
        return true;
      }

      @Override
      public void release(long n) {
        left.addAndGet(n);
      }
    };
  }
}
