package dev.stratus.jobs.train;

import dev.stratus.jvm.DaemonThreadFactory;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The parameter-server shards of a training job and what opens them (the secret, and the certificate of shards that
 * serve TLS): started in this JVM, started as processes of their own on this machine, or already running elsewhere.
 * Closing stops the ones it started.
 *
 * <p>Processes given a checkpoint location snapshot their models there and are watched: one that dies is started
 * again on its port, from its snapshots, and the {@link RestartListener}s hear what it lost.
 *
 * <p>Processes may start in the background ({@link #processesInBackground}): their count and what opens them are
 * known at once, {@link #addresses} waits until they listen, and workers launched meanwhile find the addresses
 * through the store ({@link #rendezvous}), reading their data while the shards start.
 *
 * <p>Shards this JVM started can {@link #startMore} of their kind, opened by the same secret and certificate: a
 * training that finds them saturated places its later rounds over more of them.
 */
public final class Shards implements AutoCloseable {
  private static final DaemonThreadFactory STARTER = new DaemonThreadFactory("stratus-shard-start");

  private final int count;
  private final ShardAccess access;
  private final S3Path checkpoint; // null unless they snapshot
  private final More more; // null for shards started elsewhere
  /** Told of the shards' restarts; null unless they are watched. */
  private final List<RestartListener> listeners;
  /** Completes once every shard listens: at once, unless they start in the background. */
  private final CompletableFuture<Started> started;
  /** Where workers launched before the shards listened find them; null: workers get the addresses at launch. */
  private final ShardRendezvous rendezvous;

  /** How more shards of a job's kind start: restoring their snapshots, or not. */
  private interface More {
    Shards start(int count, boolean restore);
  }

  /** What a start made: where the shards listen, what stops them, and the processes when they are processes. */
  private record Started(List<InetSocketAddress> addresses, AutoCloseable owned, PsProcesses processes) {}

  /** Hears of the restarts of watched shards, on a thread of the watcher's. */
  public interface RestartListener {
    /** Shard {@code shard} died; {@link #restarted} or {@link #couldNotRestart} follows. */
    void died(int shard);

    /**
     * Shard {@code shard} died at {@code diedAtMillis} (since the epoch) and is back from its snapshots, the oldest
     * {@code snapshotAgeSeconds} old then, having lost {@code updatesLost} push requests.
     */
    void restarted(int shard, long diedAtMillis, double snapshotAgeSeconds, long updatesLost);

    /** Shard {@code shard} died and could not be started again: why. */
    void couldNotRestart(int shard, RuntimeException why);
  }

  private Shards(int count, ShardAccess access, S3Path checkpoint, More more,
      List<RestartListener> listeners, CompletableFuture<Started> started, ShardRendezvous rendezvous) {
    this.count = count;
    this.access = access;
    this.checkpoint = checkpoint;
    this.more = more;
    this.listeners = listeners;
    this.started = started;
    this.rendezvous = rendezvous;
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
    More more = (n, restore) -> { // nothing to restore: shards in this JVM take no snapshots
      try {
        return inProcess(n, template);
      } catch (Exception e) {
        throw new IllegalStateException("could not start " + n + " more shards in this JVM", e);
      }
    };
    return new Shards(count, template.access(), null, more, null, CompletableFuture.completedFuture(
        new Started(addresses, () -> servers.forEach(PsServer::close), null)), null);
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
    return new Processes(heap, template(tls), checkpoint, store, snapshotEverySeconds, 0)
        .shards(count, restore, Processes.Runs.HERE, null);
  }

  /**
   * As {@link #processes(int, String, boolean, S3Path, StoreSpec, int, boolean)}, returning while they start: once
   * they listen (or fail to start), they publish so in {@code checkpoint}, where workers launched meanwhile find them
   * ({@link #rendezvous}).
   */
  public static Shards processesInBackground(int count, String heap, boolean tls, S3Path checkpoint,
      StoreSpec store, int snapshotEverySeconds, boolean restore) {
    ShardRendezvous rendezvous = ShardRendezvous.in(checkpoint, store, STARTER);
    return new Processes(heap, template(tls), checkpoint, store, snapshotEverySeconds, 0).shards(count, restore,
        start -> CompletableFuture.supplyAsync(start, task -> STARTER.newThread(task).start()), rendezvous);
  }

  /**
   * How a job's shard processes start: their heap and template, where they snapshot, and how many sets of them the
   * job started before (whose later sets snapshot in folders of their own, which hold nothing yet).
   */
  private record Processes(String heap, ShardConfig template, S3Path checkpoint, StoreSpec store,
      int snapshotEverySeconds, int startedBefore) {
    /** How a start runs: on the caller's thread, which it throws to, or on another. */
    private interface Runs {
      Runs HERE = start -> CompletableFuture.completedFuture(start.get());

      CompletableFuture<Started> run(Supplier<Started> start);
    }

    Shards shards(int count, boolean restore, Runs runs, ShardRendezvous rendezvous) {
      S3Path folder = checkpoint == null || startedBefore == 0 ? checkpoint
          : checkpoint.resolve("more-" + startedBefore);
      Processes next = new Processes(heap, template, checkpoint, store, snapshotEverySeconds, startedBefore + 1);
      More more = (n, restoring) -> next.shards(n, restoring, Runs.HERE, null);
      List<RestartListener> listeners = folder == null ? null : new CopyOnWriteArrayList<>();
      CompletableFuture<Started> started = runs.run(() -> start(count, folder, restore, listeners));
      if (rendezvous != null) {
        started.whenComplete((done, failure) -> rendezvous.started(
            done == null ? null : done.addresses(), failure == null ? null : unwrapped(failure)));
      }
      return new Shards(count, template.access(), folder, more, listeners, started, rendezvous);
    }

    private Started start(int count, S3Path folder, boolean restore, List<RestartListener> listeners) {
      ShardConfig config =
          folder == null ? template : template.checkpoint(folder, store).snapshotEvery(snapshotEverySeconds);
      PsProcesses processes = restore || folder == null
          ? PsProcesses.start(count, config, heap)
          : PsProcesses.startFresh(count, config, heap);
      if (folder == null) {
        return new Started(processes.addresses(), processes, processes);
      }
      ShardRestarts restarts;
      try {
        restarts = new ShardRestarts(processes.addresses(), processes.access(), listeners);
        processes.restartWhenDead(restarts);
      } catch (RuntimeException e) {
        processes.close();
        throw e;
      }
      // the watcher first: its client would take the shards' stopping for deaths and redial them
      return new Started(processes.addresses(), () -> {
        restarts.close();
        processes.close();
      }, processes);
    }
  }

  /** Shards started by someone else (on VMs beside the workers); they keep running after the job. */
  public static Shards remote(List<InetSocketAddress> addresses, ShardAccess access) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("remote shards: no address given");
    }
    return new Shards(addresses.size(), access, null, null, null,
        CompletableFuture.completedFuture(new Started(List.copyOf(addresses), () -> {}, null)), null);
  }

  /** How many shards there are, known before they listen. */
  public int count() {
    return count;
  }

  /**
   * Where the shards listen, once they do: this waits for shards starting in the background.
   *
   * @throws RuntimeException why they could not start
   */
  public List<InetSocketAddress> addresses() {
    return started().addresses();
  }

  /** Whether every shard listens now: {@link #addresses} would not wait. */
  public boolean listening() {
    return started.isDone() && !started.isCompletedExceptionally();
  }

  /**
   * Where a worker launched before the shards listen finds their addresses, which they publish there once asked for
   * this; null when they listened from the start (or listen elsewhere), and a worker gets them at launch.
   */
  public S3Path rendezvous() {
    return rendezvous == null ? null : rendezvous.handOut();
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
    return startMore(count, false);
  }

  /**
   * As {@link #startMore(int)}; with {@code restore}, they restore the models they snapshot: a driver taking over a
   * dead one's job starts again the shards it had added, in the order it added them (each set snapshots in a folder of
   * its own, named by that order).
   */
  public Shards startMore(int count, boolean restore) {
    if (more == null) {
      throw new IllegalStateException("shards started elsewhere (psEndpoints): no more can be started from here");
    }
    return more.start(count, restore);
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
    if (listeners == null) {
      return () -> {};
    }
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** Kills shard {@code shard}'s process at once (SIGKILL), as a crash would; for shards started as processes. */
  public void killShard(int shard) {
    PsProcesses processes = started().processes();
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

  private Started started() {
    try {
      return started.join();
    } catch (CompletionException e) {
      throw unwrapped(e);
    }
  }

  /** What a start threw, as it threw it. */
  private static RuntimeException unwrapped(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    if (cause instanceof RuntimeException runtime) {
      return runtime;
    }
    if (cause instanceof Error error) {
      throw error;
    }
    return new IllegalStateException(cause.getMessage(), cause);
  }

  /** Stops the shards this JVM started, once they have started; a start that failed stopped what it had begun. */
  @Override
  public void close() throws Exception {
    Started done;
    try {
      done = started.join();
    } catch (CompletionException e) {
      return;
    } finally {
      if (rendezvous != null) {
        rendezvous.remove();
      }
    }
    done.owned().close();
  }
}
