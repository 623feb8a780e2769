package dev.stratus.ps.server;

import dev.stratus.ps.ShardMetrics;
import dev.stratus.ps.wire.FrameReader;
import java.util.concurrent.ExecutorService;

/**
 * What every connection of one shard shares: its configuration and counters, its models, key-value store and
 * snapshots, the pool that runs store calls, and the budget of memory that large frames may hold together.
 */
record ShardParts(
    ShardConfig config,
    ShardCounters counters,
    ModelRegistry models,
    KvStore kv,
    Snapshots snapshots,
    ExecutorService storeCalls,
    FrameReader.Budget frameBudget) {

  ShardMetrics metrics() {
    return counters.metrics(models.size());
  }
}
