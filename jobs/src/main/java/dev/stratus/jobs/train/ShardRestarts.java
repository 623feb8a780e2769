package dev.stratus.jobs.train;

import dev.stratus.jvm.DaemonThreadFactory;
import dev.stratus.ps.ShardAccess;
import dev.stratus.ps.ShardMetrics;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.server.PsProcesses;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Follows the shards a job started as processes and {@link PsProcesses} restarts: reads every shard's metrics twice a
 * second, so that when one dies it knows the pushes its models held last, and tells each listener how much the
 * restart lost (that count against what the replacement restored, see {@link #updatesLost}) and how old the snapshot
 * it came back from was.
 */
final class ShardRestarts implements PsProcesses.Watcher, AutoCloseable {
  private static final long POLL_MILLIS = 500;

  private final PsClient metrics;
  private final ScheduledExecutorService poller =
      Executors.newSingleThreadScheduledExecutor(new DaemonThreadFactory("shard-metrics"));
  /** Those told of restarts, which the shards' owner adds and removes. */
  private final List<Shards.RestartListener> listeners;
  // per shard, guarded by this: the pushes held as last seen, frozen from its death to its replacement's report
  private final long[] updatesHeld;
  // per shard, guarded by this: when each death not reported as restarted yet happened (a replacement may die too)
  private final List<ArrayDeque<Long>> deathsMillis;

  ShardRestarts(List<InetSocketAddress> addresses, ShardAccess access, List<Shards.RestartListener> listeners) {
    this.listeners = listeners;
    this.metrics = PsClient.connect(addresses, access, 0);
    this.updatesHeld = new long[addresses.size()];
    this.deathsMillis = addresses.stream().map(address -> new ArrayDeque<Long>()).toList();
    poller.scheduleWithFixedDelay(this::poll, 0, POLL_MILLIS, TimeUnit.MILLISECONDS);
  }

  private void poll() {
    try {
      List<ShardMetrics> now = metrics.metrics().get(30, TimeUnit.SECONDS);
      synchronized (this) {
        for (ShardMetrics shard : now) {
          if (deathsMillis.get(shard.shard()).isEmpty()) {
            updatesHeld[shard.shard()] = shard.updatesHeld();
          }
        }
      }
    } catch (Exception e) {
      // a shard restarting: the next poll reaches it again
    }
  }

  @Override
  public void died(int shard, int exitCode) {
    synchronized (this) {
      deathsMillis.get(shard).add(System.currentTimeMillis());
    }
    for (Shards.RestartListener listener : listeners) {
      listener.died(shard);
    }
  }

  @Override
  public void restarted(int shard) {
    ShardMetrics back;
    try {
      back = SgdWorker.retryingLostConnections(() -> metrics.metrics()).get(shard);
    } catch (Exception e) {
      couldNotRestart(shard, new IllegalStateException("its replacement does not answer: " + e.getMessage(), e));
      return;
    }
    long lost;
    long diedAt;
    synchronized (this) {
      lost = updatesLost(updatesHeld[shard], back);
      diedAt = deathsMillis.get(shard).remove();
      updatesHeld[shard] = back.updatesHeld();
    }
    double snapshotAge = back.restoredSnapshotMillis() == 0 ? 0 : (diedAt - back.restoredSnapshotMillis()) / 1e3;
    for (Shards.RestartListener listener : listeners) {
      listener.restarted(shard, diedAt, snapshotAge, lost);
    }
  }

  /**
   * The pushes a shard held when last seen alive that its replacement did not restore. What it restored is what it
   * holds less what it applied since it started: workers reconnect at once, so by the time its metrics are read the
   * replacement may hold pushes that came after its restore, which must not count as saved.
   */
  static long updatesLost(long heldBeforeDeath, ShardMetrics replacement) {
    long restored = replacement.updatesHeld() - replacement.updates();
    return Math.max(0, heldBeforeDeath - restored);
  }

  @Override
  public void couldNotRestart(int shard, RuntimeException why) {
    for (Shards.RestartListener listener : listeners) {
      listener.couldNotRestart(shard, why);
    }
  }

  @Override
  public void close() {
    poller.shutdownNow();
    metrics.close();
  }
}
