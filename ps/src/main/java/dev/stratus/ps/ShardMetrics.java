package dev.stratus.ps;

/**
 * One shard's counters, as {@link dev.stratus.ps.client.PsClient#metrics()} returns them.
 *
 * @param updatesPerSecond push requests applied per second over the last whole second
 * @param updates push requests applied since the shard started
 * @param keysUpdated rows updated by those pushes
 * @param requests frames answered since the shard started
 * @param bytesIn bytes received, frame headers included
 * @param bytesOut bytes sent
 * @param connections connections open now (this client's included)
 * @param queueDepth requests received but not yet answered, now
 * @param models models the shard holds
 * @param updatesHeld push requests applied to the models it holds now, those its restored snapshots held included:
 *     what a restart from snapshots takes back to
 * @param restoredSnapshotMillis when the oldest snapshot it restored as it started was taken (milliseconds since the
 *     epoch); 0 when it restored none
 * @param loopCpuNanos CPU time its event loops (where every request is read, applied and answered) have used since
 *     it started: over a window, against {@code loopCores}, how near the shard is to saturating
 * @param loopCores the cores its event loops can use at once: their number, at most the cores its process sees
 */
public record ShardMetrics(
    int shard,
    double updatesPerSecond,
    long updates,
    long keysUpdated,
    long requests,
    long bytesIn,
    long bytesOut,
    int connections,
    int queueDepth,
    int models,
    long updatesHeld,
    long restoredSnapshotMillis,
    long loopCpuNanos,
    int loopCores) {}
