package dev.stratus.jobs.train;

import dev.stratus.ps.server.PsProcesses;
import dev.stratus.ps.server.PsServer;
import dev.stratus.ps.server.ShardConfig;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The parameter-server shards of a training job and the secret that opens them: started in this JVM, started as
 * processes of their own on this machine, or already running elsewhere. Closing stops the ones it started.
 */
public final class Shards implements AutoCloseable {
  private final List<InetSocketAddress> addresses;
  private final String token;
  private final AutoCloseable owned;

  private Shards(List<InetSocketAddress> addresses, String token, AutoCloseable owned) {
    this.addresses = List.copyOf(addresses);
    this.token = token;
    this.owned = owned;
  }

  /** {@code count} shards in this JVM on loopback, with a fresh secret. */
  public static Shards inProcess(int count) throws Exception {
    String token = newToken();
    List<PsServer> servers = new ArrayList<>();
    List<InetSocketAddress> addresses = new ArrayList<>();
    try {
      for (int s = 0; s < count; s++) {
        PsServer server = PsServer.start(ShardConfig.of(token).shard(s));
        servers.add(server);
        addresses.add(server.address());
      }
    } catch (Exception e) {
      servers.forEach(PsServer::close);
      throw e;
    }
    return new Shards(addresses, token, () -> servers.forEach(PsServer::close));
  }

  /** {@code count} shards as JVMs of their own on loopback, each with heap {@code heap}, with a fresh secret. */
  public static Shards processes(int count, String heap) {
    String token = newToken();
    PsProcesses processes = PsProcesses.start(count, ShardConfig.of(token), heap);
    return new Shards(processes.addresses(), token, processes);
  }

  /** Shards started by someone else (on VMs beside the workers); they keep running after the job. */
  public static Shards remote(List<InetSocketAddress> addresses, String token) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("remote shards: no address given");
    }
    if (token == null || token.isEmpty()) {
      throw new IllegalArgumentException("remote shards: no secret given");
    }
    return new Shards(addresses, token, () -> {});
  }

  public List<InetSocketAddress> addresses() {
    return addresses;
  }

  public String token() {
    return token;
  }

  private static String newToken() {
    return HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
  }

  @Override
  public void close() throws Exception {
    owned.close();
  }
}
