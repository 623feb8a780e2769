package dev.stratus.ps;

/**
 * One shard's counters, as {@link PsClient#metrics()} returns them.
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
    int models) {

  void writeTo(FrameOut out) {
    out.i32(shard).i64(Double.doubleToLongBits(updatesPerSecond)).i64(updates).i64(keysUpdated).i64(requests)
        .i64(bytesIn).i64(bytesOut).i32(connections).i32(queueDepth).i32(models);
  }

  static ShardMetrics readFrom(FrameIn in) throws MalformedFrameException {
    return new ShardMetrics(
        in.i32(), Double.longBitsToDouble(in.i64()), in.i64(), in.i64(), in.i64(), in.i64(), in.i64(), in.i32(),
        in.i32(), in.i32());
  }
}
