package dev.stratus.ps.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.ShardAccess;
import dev.stratus.ps.ShardUnreachableException;
import dev.stratus.ps.server.PsServer;
import dev.stratus.ps.server.ShardConfig;
import dev.stratus.ps.server.Shards;
import dev.stratus.store.EmbeddedS3Server;
import dev.stratus.store.S3Path;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A client whose shard goes away: it redials the shard's address, within its reconnect bound. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReconnectTest {
  @TempDir Path storeDir;

  @Test
  void aClientSurvivesItsShardsRestartOnTheSamePortAndPullsTheRestoredWeights() throws Exception {
    try (EmbeddedS3Server s3 = EmbeddedS3Server.start(storeDir)) {
      ShardConfig config = ShardConfig.of(Shards.SECRET).checkpoint(S3Path.parse("s3://reconnect/job/"), s3.spec())
          .tlsSelfSigned();
      PsServer shard = PsServer.start(config);
      InetSocketAddress address = shard.address();
      ModelSpec spec = ModelSpec.matrix(100, 1).learningRate(1f);
      try (PsClient ps = PsClient.connect(List.of(address), config.access(), 3)) {
        PsModel model = ps.createModel("m", spec);
        ps.push(model, new int[] {7, 42}, new float[] {-1, -2}).get();
        ps.snapshot(model).get();
        ps.push(model, new int[] {7}, new float[] {-5}).get(); // after the snapshot: lost with the shard
        shard.close();
        shard = PsServer.start(config.port(address.getPort())); // restores the snapshot
        assertArrayEquals(new float[] {1, 2}, ps.pull(model, new int[] {7, 42}).get(),
            "the same client, the same model handle, the restored weights (over TLS, handshake redone)");
        assertEquals(1, ps.status(model).get().clock());
      } finally {
        shard.close();
      }
    }
  }

  @Test
  void aShardThatDoesNotComeBackWithinTheBoundFailsCallsNamingItAndItsAddress() throws Exception {
    PsServer shard = PsServer.start(ShardConfig.of(Shards.SECRET));
    InetSocketAddress address = shard.address();
    try (PsClient ps = PsClient.connect(List.of(address), ShardAccess.plain(Shards.SECRET), 0,
        Duration.ofMillis(300))) {
      ps.put("k", new byte[] {1}).get();
      shard.close();
      ps.get("k").handle((v, e) -> e).get(); // in flight when the connection went, or the first to find it gone
      ExecutionException failed = assertThrows(ExecutionException.class, () -> ps.get("k").get());
      assertTrue(failed.getCause() instanceof ShardUnreachableException, String.valueOf(failed.getCause()));
      assertTrue(failed.getCause().getMessage().startsWith("shard 0 at " + address + " lost and not reachable again"
          + " within 0.3 s"), failed.getCause().getMessage());
      CompletionException again = assertThrows(CompletionException.class, () -> ps.get("k").join());
      assertSame(failed.getCause(), again.getCause(), "a later call fails with the same error, not after a new wait");
    }
  }
  @Test
  void callsMadeWhileTheShardIsDownReturnAtOnceAndGoOutInTheirOrderWhenItIsBack() throws Exception {
    PsServer shard = PsServer.start(ShardConfig.of(Shards.SECRET));
    InetSocketAddress address = shard.address();
    try (PsClient ps = PsClient.connect(List.of(address), ShardAccess.plain(Shards.SECRET), 0)) {
      ps.put("k", new byte[] {-1}).get();
      shard.close();
      Thread.sleep(300); // the connection's reader sees it closed: every call from now on waits for a redial
      long downSince = System.nanoTime();
      List<CompletableFuture<Void>> puts = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        puts.add(ps.put("k", new byte[] {(byte) i})); // may be a reply's callback: must not wait for the redial
      }
      long callingMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - downSince);
      Thread.sleep(1500);
      assertTrue(puts.stream().noneMatch(CompletableFuture::isDone), () -> "nothing answers while the shard is down: "
          + puts.stream().filter(CompletableFuture::isDone).findFirst().get().handle((v, e) -> e).join());
      shard = PsServer.start(ShardConfig.of(Shards.SECRET).port(address.getPort()));
      assertTrue(callingMillis < 1000, "50 calls took " + callingMillis + " ms to return: they waited for the redial");
      CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      assertArrayEquals(new byte[] {49}, ps.get("k").get(), "the waiting puts went out in the order they were made");
    } finally {
      shard.close();
    }
  }
}
