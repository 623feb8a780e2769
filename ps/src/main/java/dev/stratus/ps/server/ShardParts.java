package dev.stratus.ps.server;

import dev.stratus.ps.ShardMetrics;
import dev.stratus.ps.wire.FrameReader;
import java.util.concurrent.ExecutorService;

/**
 * What every connection of one shard shares: its configuration and counters, its models, key-value store and
 * snapshots, the pool that runs store calls, the budget of memory that large frames may hold together, and the key
 * its handshakes prove the job's secret with ({@link dev.stratus.ps.wire.Handshake#key}, derived once).
 */
record ShardParts(
    ShardConfig config,
    ShardCounters counters,
    ModelRegistry models,
    KvStore kv,
    Snapshots snapshots,
    ExecutorService storeCalls,
    FrameReader.Budget frameBudget,
    byte[] handshakeKey) {

  ShardMetrics metrics() {
    return counters.metrics(models.size(), models.updatesHeld(), snapshots.restoredSnapshotMillis());
  }
}
