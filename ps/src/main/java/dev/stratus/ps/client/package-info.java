/**
 * The client's side of the wire: one {@link dev.stratus.ps.client.ShardConnection} per shard, shared by every call,
 * and the {@link dev.stratus.ps.client.Gather} that completes a call once each shard it spans has replied.
 */
package dev.stratus.ps.client;
