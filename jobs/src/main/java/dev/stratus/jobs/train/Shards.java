package dev.stratus.jobs.train;

import dev.stratus.ps.ShardAccess;
import dev.stratus.ps.server.PsProcesses;
import dev.stratus.ps.server.PsServer;
import dev.stratus.ps.server.ShardConfig;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The parameter-server shards of a training job and what opens them (the secret, and the certificate of shards that
 * serve TLS): started in this JVM, started as processes of their own on this machine, or already running elsewhere.
 * Closing stops the ones it started.
 */
public final class Shards implements AutoCloseable {
  private final List<InetSocketAddress> addresses;
  private final ShardAccess access;
  private final AutoCloseable owned;

  private Shards(List<InetSocketAddress> addresses, ShardAccess access, AutoCloseable owned) {
    this.addresses = List.copyOf(addresses);
    this.access = access;
    this.owned = owned;
  }

  /** {@code count} shards in this JVM on loopback, with a fresh secret, serving plain frames. */
  public static Shards inProcess(int count) throws Exception {
    return inProcess(count, false);
  }

  /**
   * {@code count} shards in this JVM on loopback, with a fresh secret; with {@code tls}, serving TLS with a fresh
   * certificate, the same for every shard.
   */
  public static Shards inProcess(int count, boolean tls) throws Exception {
    ShardConfig template = template(tls);
    List<PsServer> servers = new ArrayList<>();
    List<InetSocketAddress> addresses = new ArrayList<>();
    try {
      for (int s = 0; s < count; s++) {
        PsServer server = PsServer.start(template.shard(s));
        servers.add(server);
        addresses.add(server.address());
      }
    } catch (Exception e) {
      servers.forEach(PsServer::close);
      throw e;
    }
    return new Shards(addresses, template.access(), () -> servers.forEach(PsServer::close));
  }

  /**
   * {@code count} shards as JVMs of their own on loopback, each with heap {@code heap}, with a fresh secret; with
   * {@code tls}, serving TLS with a fresh certificate, the same for every shard.
   */
  public static Shards processes(int count, String heap, boolean tls) {
    PsProcesses processes = PsProcesses.start(count, template(tls), heap);
    return new Shards(processes.addresses(), processes.access(), processes);
  }

  /** Shards started by someone else (on VMs beside the workers); they keep running after the job. */
  public static Shards remote(List<InetSocketAddress> addresses, ShardAccess access) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("remote shards: no address given");
    }
    return new Shards(addresses, access, () -> {});
  }

  public List<InetSocketAddress> addresses() {
    return addresses;
  }

  /** The secret, and the certificate the shards present when they serve TLS: what every client of them needs. */
  public ShardAccess access() {
    return access;
  }

  /** A job's shards: a fresh secret, and a fresh certificate when they serve TLS. */
  private static ShardConfig template(boolean tls) {
    ShardConfig plain = ShardConfig.of(HexFormat.of().formatHex(new SecureRandom().generateSeed(16)));
    return tls ? plain.tlsSelfSigned() : plain;
  }

  @Override
  public void close() throws Exception {
    owned.close();
  }
}
