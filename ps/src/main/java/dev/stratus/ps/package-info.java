/**
 * The parameter server and key-value store: what a model is and what a shard reports, shared by every layer of the
 * module ({@link dev.stratus.ps.ModelSpec}, {@link dev.stratus.ps.Optimizer}, {@link dev.stratus.ps.ModelStatus},
 * {@link dev.stratus.ps.ShardMetrics}, {@link dev.stratus.ps.PsException}, {@link dev.stratus.ps.ShardAddress}, how a
 * shard's address is written, and {@link dev.stratus.ps.ShardAccess}, what lets a client in: the secret, and the
 * certificate of shards serving TLS).
 *
 * <p>Above it, {@link dev.stratus.ps.wire} (the frame format) and {@link dev.stratus.ps.tls} (certificates, TLS
 * contexts); above those, apart from each other, the two sides a program uses: {@link dev.stratus.ps.client}
 * ({@code PsClient}, every call a worker or driver makes) and {@link dev.stratus.ps.server} ({@code PsServer}, a
 * shard; {@code PsProcesses}, shards as local processes). The client and the server meet only on the wire.
 */
package dev.stratus.ps;
