package dev.stratus.ps.server;

import dev.stratus.ps.ShardMetrics;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shard's counters (what {@link ShardMetrics} reports) and its rate-limited log of refused or misbehaving peers.
 */
final class ShardCounters {
  private static final Logger LOG = LoggerFactory.getLogger(PsServer.class);
  private static final int BAD_PEERS_LOGGED_PER_SECOND = 10;
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  final int shard;
  final LongAdder updates = new LongAdder();
  final LongAdder keysUpdated = new LongAdder();
  final LongAdder requests = new LongAdder();
  final LongAdder bytesIn = new LongAdder();
  final LongAdder bytesOut = new LongAdder();
  /** Connections that proved the secret and are open. */
  final AtomicInteger workers = new AtomicInteger();
  /** Connections open that have not proved the secret yet. */
  final AtomicInteger handshakes = new AtomicInteger();
  /** Requests received whose reply is not written yet (only store calls wait). */
  final AtomicInteger queueDepth = new AtomicInteger();
  private final AtomicLong badPeers = new AtomicLong();
  private final AtomicLong badPeersLogged = new AtomicLong();
  private volatile double updatesPerSecond;
  private long lastRateUpdates;
  /** The event-loop threads, each added as it starts: what they have computed is how busy the shard is. */
  private final List<Thread> loopThreads = new CopyOnWriteArrayList<>();
  private volatile int loopCores = 1;

  ShardCounters(int shard) {
    this.shard = shard;
  }

  ShardMetrics metrics(int models, long updatesHeld, long restoredSnapshotMillis) {
    return new ShardMetrics(shard, updatesPerSecond, updates.sum(), keysUpdated.sum(), requests.sum(),
        bytesIn.sum(), bytesOut.sum(), workers.get() + handshakes.get(), queueDepth.get(), models, updatesHeld,
        restoredSnapshotMillis, loopCpuNanos(), loopCores);
  }

  /** The shard runs {@code threads} event loops: they can use that many cores at once, at most the process's. */
  void loops(int threads) {
    loopCores = Math.max(1, Math.min(threads, Runtime.getRuntime().availableProcessors()));
  }

  /** An event-loop thread of the shard's, as it starts. */
  void loopStarted(Thread thread) {
    loopThreads.add(thread);
  }

  private long loopCpuNanos() {
    long sum = 0;
    for (Thread thread : loopThreads) {
      sum += Math.max(0, THREADS.getThreadCpuTime(thread.getId())); // -1 once a loop has ended, as the shard closes
    }
    return sum;
  }

  /** Called once a second, from one thread: samples the update rate and reports the peers not logged one by one. */
  void tick() {
    long now = updates.sum();
    updatesPerSecond = now - lastRateUpdates;
    lastRateUpdates = now;
    long unlogged = badPeers.getAndSet(0) - badPeersLogged.getAndSet(0);
    if (unlogged > 0) {
      LOG.warn("shard {}: {} more connections refused or closed for bad frames in the last second", shard,
          unlogged);
    }
  }

  /**
   * Logs a refused or misbehaving peer: each of the first few each second, then only a count per second, so that a
   * flood of garbage cannot flood the log.
   */
  void badPeer(String format, Object... args) {
    badPeers.incrementAndGet();
    if (badPeersLogged.incrementAndGet() <= BAD_PEERS_LOGGED_PER_SECOND) {
      LOG.warn(format, args);
    }
  }
}
