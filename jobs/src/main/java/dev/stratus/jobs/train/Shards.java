package dev.stratus.jobs.train;

import dev.stratus.ps.ShardAccess;
import dev.stratus.ps.server.PsProcesses;
import dev.stratus.ps.server.PsServer;
import dev.stratus.ps.server.ShardConfig;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The parameter-server shards of a training job and what opens them (the secret, and the certificate of shards that
 * serve TLS): started in this JVM, started as processes of their own on this machine, or already running elsewhere.
 * Closing stops the ones it started.
 *
 * <p>Processes given a checkpoint location snapshot their models there and are watched: one that dies is started
 * again on its port, from its snapshots, and the {@link RestartListener}s hear what it lost.
 *
 * <p>Shards this JVM started can {@link #startMore} of their kind, opened by the same secret and certificate: a
 * training that finds them saturated places its later rounds over more of them.
 */
public final class Shards implements AutoCloseable {
  private final List<InetSocketAddress> addresses;
  private final ShardAccess access;
  private final AutoCloseable owned;
  private final PsProcesses processes; // null unless started as processes
  private final ShardRestarts restarts; // null unless watched
  private final S3Path checkpoint; // null unless they snapshot
  private final IntFunction<Shards> more; // null for shards started elsewhere

  /** Hears of the restarts of watched shards, on a thread of the watcher's. */
  public interface RestartListener {
    /**
     * Shard {@code shard} died at {@code diedAtMillis} (since the epoch) and is back from its snapshots, the oldest
     * {@code snapshotAgeSeconds} old then, having lost {@code updatesLost} push requests.
     */
    void restarted(int shard, long diedAtMillis, double snapshotAgeSeconds, long updatesLost);

    /** Shard {@code shard} died and could not be started again: why. */
    void couldNotRestart(int shard, RuntimeException why);
  }

  private Shards(List<InetSocketAddress> addresses, ShardAccess access, AutoCloseable owned, PsProcesses processes,
      ShardRestarts restarts, S3Path checkpoint, IntFunction<Shards> more) {
    this.addresses = List.copyOf(addresses);
    this.access = access;
    this.owned = owned;
    this.processes = processes;
    this.restarts = restarts;
    this.checkpoint = checkpoint;
    this.more = more;
  }

  /** {@code count} shards in this JVM on loopback, with a fresh secret, serving plain frames. */
  public static Shards inProcess(int count) throws Exception {
    return inProcess(count, false);
  }

  /**
   * {@code count} shards in this JVM on loopback, with a fresh secret; with {@code tls}, serving TLS with a fresh
   * certificate, the same for every shard.
   */
  public static Shards inProcess(int count, boolean tls) throws Exception {
    return inProcess(count, template(tls));
  }

  private static Shards inProcess(int count, ShardConfig template) throws Exception {
    List<PsServer> servers = new ArrayList<>();
    List<InetSocketAddress> addresses = new ArrayList<>();
    try {
      for (int s = 0; s < count; s++) {
        PsServer server = PsServer.start(template.shard(s));
        servers.add(server);
        addresses.add(server.address());
      }
    } catch (Exception e) {
      servers.forEach(PsServer::close);
      throw e;
    }
    return new Shards(addresses, template.access(), () -> servers.forEach(PsServer::close), null, null, null,
        more -> {
          try {
            return inProcess(more, template);
          } catch (Exception e) {
            throw new IllegalStateException("could not start " + more + " more shards in this JVM", e);
          }
        });
  }

  /**
   * {@code count} shards as JVMs of their own on loopback, each with heap {@code heap}, with a fresh secret; with
   * {@code tls}, serving TLS with a fresh certificate, the same for every shard. With a {@code checkpoint} location
   * in {@code store} (null: none), they snapshot the models that changed there every {@code snapshotEverySeconds},
   * and one that dies is started again from its snapshots.
   */
  public static Shards processes(int count, String heap, boolean tls, S3Path checkpoint, StoreSpec store,
      int snapshotEverySeconds) {
    return processes(count, heap, tls, checkpoint, store, snapshotEverySeconds, true);
  }

  /**
   * As {@link #processes(int, String, boolean, S3Path, StoreSpec, int)}; without {@code restore}, the checkpoint holds
   * nothing of theirs yet (a new training's, its location just cleared), and they start without reading it, most of a
   * second sooner (a replacement of one that dies restores from it, as ever).
   */
  public static Shards processes(int count, String heap, boolean tls, S3Path checkpoint, StoreSpec store,
      int snapshotEverySeconds, boolean restore) {
    return processes(count, heap, template(tls), checkpoint, store, snapshotEverySeconds, restore, 0);
  }

  /**
   * The processes of {@link #processes(int, String, boolean, S3Path, StoreSpec, int, boolean)} from {@code template};
   * {@code started} sets of them were started before for the same job, so these snapshot in a folder of their own,
   * which holds nothing yet.
   */
  private static Shards processes(int count, String heap, ShardConfig template, S3Path checkpoint, StoreSpec store,
      int snapshotEverySeconds, boolean restore, int started) {
    S3Path folder = checkpoint == null || started == 0 ? checkpoint : checkpoint.resolve("more-" + started);
    IntFunction<Shards> more =
        n -> processes(n, heap, template, checkpoint, store, snapshotEverySeconds, false, started + 1);
    ShardConfig config =
        folder == null ? template : template.checkpoint(folder, store).snapshotEvery(snapshotEverySeconds);
    PsProcesses processes = restore || folder == null
        ? PsProcesses.start(count, config, heap)
        : PsProcesses.startFresh(count, config, heap);
    if (folder == null) {
      return new Shards(processes.addresses(), processes.access(), processes, processes, null, null, more);
    }
    ShardRestarts restarts;
    try {
      restarts = new ShardRestarts(processes.addresses(), processes.access());
      processes.restartWhenDead(restarts);
    } catch (RuntimeException e) {
      processes.close();
      throw e;
    }
    // the watcher first: its client would take the shards' stopping for deaths and redial them
    return new Shards(processes.addresses(), processes.access(), () -> {
      restarts.close();
      processes.close();
    }, processes, restarts, folder, more);
  }

  /** Shards started by someone else (on VMs beside the workers); they keep running after the job. */
  public static Shards remote(List<InetSocketAddress> addresses, ShardAccess access) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("remote shards: no address given");
    }
    return new Shards(addresses, access, () -> {}, null, null, null, null);
  }

  public List<InetSocketAddress> addresses() {
    return addresses;
  }

  /** The secret, and the certificate the shards present when they serve TLS: what every client of them needs. */
  public ShardAccess access() {
    return access;
  }

  /** Whether {@link #startMore} can: these shards were started by this JVM, not elsewhere. */
  public boolean canStartMore() {
    return more != null;
  }

  /**
   * Starts {@code count} more shards of the kind of these (in this JVM, or processes watched as these are), opened by
   * the same secret and certificate; the caller closes them.
   *
   * @throws IllegalStateException for shards started elsewhere
   */
  public Shards startMore(int count) {
    if (more == null) {
      throw new IllegalStateException("shards started elsewhere (psEndpoints): no more can be started from here");
    }
    return more.apply(count);
  }

  /** Where these shards snapshot their models, and a driver keeps its {@link ResumePoint}; null: nowhere. */
  public S3Path checkpoint() {
    return checkpoint;
  }

  /**
   * Tells {@code listener} of every restart of these shards until the returned handle is closed; shards that are not
   * watched never restart.
   */
  public AutoCloseable onRestart(RestartListener listener) {
    if (restarts == null) {
      return () -> {};
    }
    restarts.add(listener);
    return () -> restarts.remove(listener);
  }

  /** Kills shard {@code shard}'s process at once (SIGKILL), as a crash would; for shards started as processes. */
  public void killShard(int shard) {
    if (processes == null) {
      throw new IllegalStateException("only shards started as processes can be killed");
    }
    processes.kill(shard);
  }

  /** A job's shards: a fresh secret, and a fresh certificate when they serve TLS. */
  private static ShardConfig template(boolean tls) {
    ShardConfig plain = ShardConfig.of(HexFormat.of().formatHex(new SecureRandom().generateSeed(16)));
    return tls ? plain.tlsSelfSigned() : plain;
  }

  @Override
  public void close() throws Exception {
    owned.close();
  }
}
