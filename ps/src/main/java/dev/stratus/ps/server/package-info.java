/**
 * A shard: {@link dev.stratus.ps.server.PsServer} starts one (in this JVM, or as a process through its main) from a
 * {@link dev.stratus.ps.server.ShardConfig}; its parts are listed there. {@link dev.stratus.ps.server.PsProcesses}
 * starts shards as processes of this machine.
 */
package dev.stratus.ps.server;
