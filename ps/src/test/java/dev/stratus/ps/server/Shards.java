package dev.stratus.ps.server;

import dev.stratus.ps.client.PsClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** n embedded shards on loopback for a test, closed together. */
public final class Shards implements AutoCloseable {
  public static final String SECRET = "test-secret-" + Long.toHexString(System.nanoTime());

  public final List<PsServer> servers = new ArrayList<>();

  public static Shards start(int n) throws IOException {
    return start(n, ShardConfig.of(SECRET));
  }

  public static Shards start(int n, ShardConfig template) throws IOException {
    Shards shards = new Shards();
    try {
      for (int i = 0; i < n; i++) {
        shards.servers.add(PsServer.start(template.shard(i)));
      }
    } catch (IOException | RuntimeException e) {
      shards.close();
      throw e;
    }
    return shards;
  }

  public List<InetSocketAddress> addresses() {
    return servers.stream().map(PsServer::address).toList();
  }

  public PsClient client() {
    return PsClient.connect(addresses(), SECRET);
  }

  public PsClient client(int workerId) {
    return PsClient.connect(addresses(), SECRET, workerId);
  }

  @Override
  public void close() {
    servers.forEach(PsServer::close);
  }
}
