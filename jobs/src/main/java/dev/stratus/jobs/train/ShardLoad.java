package dev.stratus.jobs.train;

import dev.stratus.ps.ShardMetrics;
import java.util.List;

/**
 * How much the shards' event loops had computed at one moment ({@link ShardMetrics#loopCpuNanos}), and on how many
 * cores each may: two of them a window apart say how near the busiest shard came to saturating in it.
 */
record ShardLoad(double seconds, long[] loopCpuNanos, int[] loopCores) {
  /** A busiest shard's share of its loops' cores over a window: 1 is every core they may use, all the time. */
  record Busiest(int shard, double share) {}

  /** The shards' load as {@code metrics}, read at {@code seconds} from the training's start, report it. */
  static ShardLoad of(double seconds, List<ShardMetrics> metrics) {
    long[] nanos = new long[metrics.size()];
    int[] cores = new int[metrics.size()];
    for (int s = 0; s < nanos.length; s++) {
      nanos[s] = metrics.get(s).loopCpuNanos();
      cores[s] = metrics.get(s).loopCores();
    }
    return new ShardLoad(seconds, nanos, cores);
  }

  /**
   * The busiest shard from {@code earlier} to this; null where that says nothing: no time between them, other
   * shards, or a shard that restarted in between (its count began again).
   */
  Busiest busiestSince(ShardLoad earlier) {
    double seconds = this.seconds - earlier.seconds;
    if (seconds <= 0 || loopCpuNanos.length != earlier.loopCpuNanos.length) {
      return null;
    }
    Busiest busiest = null;
    for (int s = 0; s < loopCpuNanos.length; s++) {
      long nanos = loopCpuNanos[s] - earlier.loopCpuNanos[s];
      if (nanos < 0) {
        return null;
      }
      double share = nanos / 1e9 / seconds / loopCores[s];
      if (busiest == null || share > busiest.share) {
        busiest = new Busiest(s, share);
      }
    }
    return busiest;
  }
}
