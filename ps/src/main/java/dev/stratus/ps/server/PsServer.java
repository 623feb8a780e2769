package dev.stratus.ps.server;

import dev.stratus.ps.ShardAddress;
import dev.stratus.ps.ShardMetrics;
import dev.stratus.ps.wire.FrameReader;
import dev.stratus.ps.wire.Handshake;
import dev.stratus.ps.wire.Wire;
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
 * One parameter-server shard: models (a row range of each) and a key-value map, served over TCP to the
 * {@code PsClient}s that prove the job's secret.
 *
 * <pre>{@code
 * ShardConfig config = ShardConfig.of(secret).tlsSelfSigned();  // TLS with a new certificate; without: plain frames
 * try (PsServer shard = PsServer.start(config)) {                // embedded, on 127.0.0.1, a free port
 *   PsClient ps = PsClient.connect(List.of(shard.address()), config.access(), 0);
 * }
 * // as a process: java -cp ... dev.stratus.ps.server.PsServer --port 7070 --token-env STRATUS_PS_TOKEN --shard 0
 * //               --checkpoint s3://bucket/job/ps --store-aws us-east-1 --snapshot-every 30
 * //               [--bind 0.0.0.0 --advertise shard0.example.com:7070]   (reachable from other hosts)
 * //               [--tls-cert shard.pem --tls-key-file shard.key]       (TLS, clients pinning shard.pem)
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
 * <p>Bad input and abuse ({@link ShardConfig.Limits}): a connection must send HELLO with the secret first, within
 * {@code helloTimeoutMillis} (wrong, missing or late: refused, logged, closed); at most {@code maxHandshakes}
 * connections may be waiting to do so, apart from the {@code maxWorkers} authenticated ones, so unauthenticated
 * sockets cannot crowd out workers. Frames are bounded ({@link ShardConfig#maxFrameBytes}, and
 * {@link Wire#MAX_FRAME_BEFORE_HELLO} before HELLO); a malformed, truncated or oversized frame closes that
 * connection only. A request the shard cannot honour (unknown model, key out of range, lengths that disagree, a full
 * key-value store or model budget) gets an error reply and the connection stays open. Memory is bounded: models by
 * {@code modelsMaxBytes}, the key-value store (keys and values) by {@link ShardConfig#kvMaxBytes}, large frames of
 * all connections together by a quarter of the heap, and a connection's unsent replies by its write buffer (a peer
 * that does not read is not read from).
 */
public final class PsServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PsServer.class);

  /**
   * The line a server process prints on stdout once it listens, followed by its port, and with {@code --advertise}
   * by {@value #ADVERTISED} and the address workers must dial.
   */
  public static final String LISTENING_LINE = "STRATUS_PS_LISTENING ";
  static final String ADVERTISED = " advertised ";
  /** Environment variable holding a base64 Java-serialized {@link StoreSpec} for a process's checkpoints. */
  public static final String STORE_SPEC_ENV = ServerCommandLine.STORE_SPEC_ENV;

  private final ShardParts parts;
  private final ExecutorService storeCalls;
  private final ScheduledExecutorService timer;
  private final ShardListener listener;
  private volatile boolean closed;

  private PsServer(ShardConfig config, boolean restore) throws IOException {
    ShardCounters counters = new ShardCounters(config.shard());
    ModelRegistry models = new ModelRegistry(config.shard(), config.limits().modelsBudget());
    this.storeCalls = Executors.newFixedThreadPool(2, daemon("ps-store-" + config.shard()));
    Snapshots snapshots;
    try {
      snapshots = new Snapshots(config.shard(), config.checkpoint(), config.store(), models, storeCalls, !restore);
      if (restore) {
        snapshots.restoreAll();
      } else {
        snapshots.whenStoreFails(e -> LOG.error("shard {} cannot reach its checkpoint {}, and will take no snapshot"
            + " there: {}", config.shard(), config.checkpoint(), e.toString()));
      }
    } catch (RuntimeException e) {
      storeCalls.shutdownNow();
      throw e;
    }
    this.parts = new ShardParts(config, counters, models, new KvStore(config.kvMaxBytes()), snapshots, storeCalls,
        frameBudget(Runtime.getRuntime().maxMemory() / 4), Handshake.key(config.token()));
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
    LOG.info("parameter-server shard {} listening on {}, workers dial {}, {}", config.shard(),
        ShardAddress.format(address()), ShardAddress.format(advertisedAddress()),
        config.tls() == null ? "plain frames" : "over TLS with " + config.tls());
  }

  /** Starts a shard in this JVM; with a checkpoint configured, it first restores every model snapshot found there. */
  public static PsServer start(ShardConfig config) throws IOException {
    return new PsServer(config, true);
  }

  /**
   * Starts a shard in this JVM, restoring what its checkpoint holds only with {@code restore}: without, for a
   * checkpoint known to hold nothing of this shard's (a new job's), it listens without reading the checkpoint, its
   * store's client made in the background (most of a second of a shard process's start).
   */
  static PsServer start(ShardConfig config, boolean restore) throws IOException {
    return new PsServer(config, restore);
  }

  public int port() {
    return listener.address().getPort();
  }

  public InetSocketAddress address() {
    return listener.address();
  }

  /** The address workers must dial: the configured {@link ShardConfig#advertise}, else the one it listens on. */
  public InetSocketAddress advertisedAddress() {
    return parts.config().advertise() != null ? parts.config().advertise() : address();
  }

  public ShardMetrics metrics() {
    return parts.metrics();
  }

  /** Keys of the key-value store some connection waits on now. */
  int keysWatched() {
    return parts.kv().keysWatched();
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
