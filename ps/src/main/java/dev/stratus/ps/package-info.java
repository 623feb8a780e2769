/**
 * The parameter server and key-value store, as a worker uses it: {@link dev.stratus.ps.PsClient} (every call),
 * {@link dev.stratus.ps.ModelSpec} and {@link dev.stratus.ps.Optimizer} (what a model is and how a push updates it),
 * and {@link dev.stratus.ps.PsProcesses} (shards as local processes).
 *
 * <p>Below it, three layers: {@link dev.stratus.ps.client} (the client's connections), {@link dev.stratus.ps.server}
 * (a shard) and, under both, {@link dev.stratus.ps.wire} (the frame format they share). The client and the server
 * never use each other; none of the three uses the API's entry points, only its values (specs, metrics, errors).
 */
package dev.stratus.ps;
