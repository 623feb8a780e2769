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
    int models) {}
