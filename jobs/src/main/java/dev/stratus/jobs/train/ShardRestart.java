package dev.stratus.jobs.train;

import java.io.Serializable;

/**
 * A shard of the job that died and came back from its snapshots, as the job saw it.
 *
 * @param atSeconds when it died, in seconds since the job started
 * @param snapshotAgeSeconds how old its oldest restored snapshot was when it died: the progress at stake
 * @param updatesLost push requests its models held before it died (as last seen through its metrics, at most half a
 *     second before) that its snapshots did not: work the workers did again or never
 * @param clockRestored the job's model clock (pushes applied, all shards) once it was back
 */
public record ShardRestart(int shard, double atSeconds, double snapshotAgeSeconds, long updatesLost,
    long clockRestored) implements Serializable {

  /** "shard 1 restarted from its snapshot of 3.2 s ago: 1,234 updates lost". */
  public String describe() {
    return String.format(java.util.Locale.ROOT, "shard %d restarted from its snapshot of %.1f s ago: %,d updates lost",
        shard, snapshotAgeSeconds, updatesLost);
  }
}
