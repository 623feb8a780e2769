/**
 * The client: {@link dev.stratus.ps.client.PsClient} (every call: create, pull, push, key-value, snapshot) and its
 * models' handles, {@link dev.stratus.ps.client.PsModel}; below them one
 * {@link dev.stratus.ps.client.ShardConnection} per shard, shared by every call, and the
 * {@link dev.stratus.ps.client.Gather} that completes a call once each shard it spans has replied.
 */
package dev.stratus.ps.client;
