package dev.stratus.ps.server;

import dev.stratus.ps.ShardAccess;
import dev.stratus.ps.tls.ShardCertificate;
import dev.stratus.ps.wire.Wire;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.net.InetSocketAddress;

/**
 * How to run a shard. {@code ShardConfig.of(token)} listens on 127.0.0.1 on a free port as shard 0 without
 * checkpoints, serves plain frames ({@code tls} null), and advertises the address it binds ({@code advertise} null);
 * each {@code with}-style method returns a changed copy.
 */
public record ShardConfig(
    String token,
    String bind,
    int port,
    InetSocketAddress advertise,
    int shard,
    S3Path checkpoint,
    StoreSpec store,
    int snapshotEverySeconds,
    int maxFrameBytes,
    int compressAbove,
    long kvMaxBytes,
    Limits limits,
    ShardCertificate tls) {
  static final int DEFAULT_MAX_FRAME_BYTES = 32 << 20;
  static final int MIN_FRAME_BYTES = 1024;
  static final long DEFAULT_KV_MAX_BYTES = 256L << 20;
  public static final int DEFAULT_SNAPSHOT_EVERY_SECONDS = 5;

  public ShardConfig {
    if (token == null || token.isEmpty()) {
      throw new IllegalArgumentException("a parameter server needs a job secret (token)");
    }
    if ((checkpoint == null) != (store == null)) {
      throw new IllegalArgumentException("a checkpoint location needs a store, and a store a checkpoint location");
    }
    if (snapshotEverySeconds > 0 && checkpoint == null) {
      throw new IllegalArgumentException("periodic snapshots need a checkpoint location");
    }
    if (maxFrameBytes < MIN_FRAME_BYTES) {
      throw new IllegalArgumentException(
          "maxFrameBytes must be at least " + MIN_FRAME_BYTES + ", got " + maxFrameBytes);
    }
    if (kvMaxBytes < 0) {
      throw new IllegalArgumentException("kvMaxBytes must not be negative, got " + kvMaxBytes);
    }
    if (limits == null) {
      throw new IllegalArgumentException("limits must not be null");
    }
  }

  /** Every field but the secret, which no log line or message may hold. */
  @Override
  public String toString() {
    return "ShardConfig[token hidden, bind=" + bind + ", port=" + port + ", advertise=" + advertise + ", shard="
        + shard + ", checkpoint=" + checkpoint + ", store=" + store + ", snapshotEverySeconds=" + snapshotEverySeconds
        + ", maxFrameBytes=" + maxFrameBytes + ", compressAbove=" + compressAbove + ", kvMaxBytes=" + kvMaxBytes
        + ", limits=" + limits + ", tls=" + tls + "]";
  }

  public static ShardConfig of(String token) {
    return new ShardConfig(token, "127.0.0.1", 0, null, 0, null, null, 0, DEFAULT_MAX_FRAME_BYTES,
        Wire.COMPRESS_ABOVE, DEFAULT_KV_MAX_BYTES, Limits.DEFAULT, null);
  }

  public ShardConfig bind(String address) {
    return new ShardConfig(token, address, port, advertise, shard, checkpoint, store, snapshotEverySeconds,
        maxFrameBytes, compressAbove, kvMaxBytes, limits, tls);
  }

  public ShardConfig port(int port) {
    return new ShardConfig(token, bind, port, advertise, shard, checkpoint, store, snapshotEverySeconds,
        maxFrameBytes, compressAbove, kvMaxBytes, limits, tls);
  }

  /**
   * The address workers must dial when it is not the one the shard binds (behind NAT, in a container whose port is
   * mapped): printed when the shard listens, for the user to give the job in {@code --psEndpoints}.
   */
  public ShardConfig advertise(InetSocketAddress address) {
    return new ShardConfig(token, bind, port, address, shard, checkpoint, store, snapshotEverySeconds,
        maxFrameBytes, compressAbove, kvMaxBytes, limits, tls);
  }

  public ShardConfig shard(int shard) {
    return new ShardConfig(token, bind, port, advertise, shard, checkpoint, store, snapshotEverySeconds,
        maxFrameBytes, compressAbove, kvMaxBytes, limits, tls);
  }

  /**
   * Snapshots go to {@code location/shard-<shard>/} in {@code store} (see {@link Snapshots}), of every model that
   * changed every {@value #DEFAULT_SNAPSHOT_EVERY_SECONDS} s unless {@link #snapshotEvery} says otherwise.
   */
  public ShardConfig checkpoint(S3Path location, StoreSpec store) {
    int every = snapshotEverySeconds > 0 ? snapshotEverySeconds : DEFAULT_SNAPSHOT_EVERY_SECONDS;
    return new ShardConfig(token, bind, port, advertise, shard, location, store, every,
        maxFrameBytes, compressAbove, kvMaxBytes, limits, tls);
  }

  /**
   * Snapshots every model that changed, every {@code seconds} (0: only on demand and when a model is created): what a
   * shard that dies loses at most.
   */
  public ShardConfig snapshotEvery(int seconds) {
    return new ShardConfig(token, bind, port, advertise, shard, checkpoint, store, seconds,
        maxFrameBytes, compressAbove, kvMaxBytes, limits, tls);
  }

  public ShardConfig maxFrameBytes(int bytes) {
    return new ShardConfig(token, bind, port, advertise, shard, checkpoint, store, snapshotEverySeconds,
        bytes, compressAbove, kvMaxBytes, limits, tls);
  }

  public ShardConfig compressAbove(int bytes) {
    return new ShardConfig(token, bind, port, advertise, shard, checkpoint, store, snapshotEverySeconds,
        maxFrameBytes, bytes, kvMaxBytes, limits, tls);
  }

  public ShardConfig kvMaxBytes(long bytes) {
    return new ShardConfig(token, bind, port, advertise, shard, checkpoint, store, snapshotEverySeconds,
        maxFrameBytes, compressAbove, bytes, limits, tls);
  }

  /** Serves every connection over TLS with {@code certificate} (null: plain frames). */
  public ShardConfig tls(ShardCertificate certificate) {
    return new ShardConfig(token, bind, port, advertise, shard, checkpoint, store, snapshotEverySeconds,
        maxFrameBytes, compressAbove, kvMaxBytes, limits, certificate);
  }

  /**
   * Serves TLS with a new self-signed certificate: made once here, so every shard started from this template (a
   * job's) presents the same one, which {@link #access} hands to clients.
   */
  public ShardConfig tlsSelfSigned() {
    return tls(ShardCertificate.selfSigned());
  }

  /** What a client of shards started from this configuration needs: the secret, and the certificate they present. */
  public ShardAccess access() {
    return new ShardAccess(token, tls == null ? null : tls.certificatePem());
  }

  /** How many connections, threads and bytes of models the shard allows: see {@link Limits}. */
  public ShardConfig limits(Limits limits) {
    return new ShardConfig(token, bind, port, advertise, shard, checkpoint, store, snapshotEverySeconds,
        maxFrameBytes, compressAbove, kvMaxBytes, limits, tls);
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
}
