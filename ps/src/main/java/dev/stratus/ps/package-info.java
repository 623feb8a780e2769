/**
 * The parameter server and key-value store: what a model is and what a shard reports, shared by every layer of the
 * module ({@link dev.stratus.ps.ModelSpec}, {@link dev.stratus.ps.Optimizer}, {@link dev.stratus.ps.ModelStatus},
 * {@link dev.stratus.ps.ShardMetrics}, {@link dev.stratus.ps.PsException}, and {@link dev.stratus.ps.ShardAddress}, how a
 * shard's address is written).
 *
 * <p>Above it, {@link dev.stratus.ps.wire} (the frame format); above that, apart from each other, the two sides a
 * program uses: {@link dev.stratus.ps.client} ({@code PsClient}, every call a worker or driver makes) and
 * {@link dev.stratus.ps.server} ({@code PsServer}, a shard; {@code PsProcesses}, shards as local processes). The
 * client and the server meet only on the wire.
 */
package dev.stratus.ps;
