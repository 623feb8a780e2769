package dev.stratus.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.ShardAddress;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import dev.stratus.store.EmbeddedS3Server;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shards a training adds where its own saturate ({@link Shards#startMore}): real shard processes, reached by the
 * job's secret, watched and started again as the job's own are; none from shards started elsewhere.
 */
@Timeout(120)
class ShardsTest {
  @TempDir Path dir;
  private EmbeddedS3Server server;
  private ObjectStore store;

  @BeforeEach
  void startStore() {
    server = EmbeddedS3Server.start(dir);
    store = ObjectStore.of(server.spec());
    store.ensureBucket("shards");
  }

  @AfterEach
  void stopStore() {
    server.close();
  }

  @Test
  void moreShardsAreOpenedByTheJobsSecretAndStartedAgainWhenTheyDie() throws Exception {
    S3Path checkpoint = S3Path.parse("s3://shards/job/");
    try (Shards first = Shards.processes(1, "128m", false, checkpoint, store.reachableSpec(), 1);
        Shards more = first.startMore(1)) {
      assertTrue(first.canStartMore());
      assertEquals(checkpoint.resolve("more-1"), more.checkpoint(), "the added shards snapshot apart");
      List<InetSocketAddress> all = new ArrayList<>(first.addresses());
      all.addAll(more.addresses());
      try (PsClient client = PsClient.connect(all, first.access(), 0)) {
        // a model sliced over both: each shard holds half its rows, both answer the job's secret
        ModelSpec spec = ModelSpec.matrix(4, 1).optimizer(Optimizer.SGD).learningRate(1).l2(0).initScale(0)
            .snapshotted(false);
        PsModel model = client.createModel("sliced", spec);
        client.push(model, new int[] {0, 3}, new float[] {-1, -2}).get(10, TimeUnit.SECONDS);
        assertArrayEquals(new float[] {1, 0, 0, 2}, client.pullAll(model).get(10, TimeUnit.SECONDS));
      }

      CountDownLatch restarted = new CountDownLatch(1);
      try (AutoCloseable heard = more.onRestart(new Shards.RestartListener() {
        @Override
        public void died(int shard) {}

        @Override
        public void restarted(int shard, long diedAtMillis, double snapshotAgeSeconds, long updatesLost) {
          restarted.countDown();
        }

        @Override
        public void couldNotRestart(int shard, RuntimeException why) {}
      })) {
        more.killShard(0);
        assertTrue(restarted.await(60, TimeUnit.SECONDS), "the killed added shard was not started again");
      }
      try (PsClient again = PsClient.connect(more.addresses(), first.access(), 0)) {
        again.put("back", "on its port".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
        assertEquals("on its port",
            new String(again.get("back").get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
      }
    }
  }

  /**
   * Shards started in the background: their count and secret at once, their addresses once they listen, published
   * for workers launched meanwhile, which find them through the store; the published object goes with the shards.
   */
  @Test
  void shardsStartingInTheBackgroundTellWorkersWhereTheyListenThroughTheStore() throws Exception {
    S3Path checkpoint = S3Path.parse("s3://shards/background/");
    S3Path rendezvous;
    try (Shards shards = Shards.processesInBackground(2, "128m", false, checkpoint, store.reachableSpec(), 1,
        false)) {
      assertEquals(2, shards.count());
      assertFalse(shards.listening(), "a shard process listens after its JVM starts, not at once");
      rendezvous = shards.rendezvous();
      assertTrue(rendezvous.key().startsWith(checkpoint.key()), rendezvous + " lies in the job's checkpoint folder");
      assertFalse(store.exists(rendezvous), "nothing is published before they listen");
      List<InetSocketAddress> found = ShardRendezvous.await(store, rendezvous, () -> false);
      // by name, as every address crosses to a worker, for it to resolve
      assertEquals(shards.addresses().stream().map(ShardAddress::format).toList(),
          found.stream().map(ShardAddress::format).toList());
      assertTrue(shards.listening());
      try (PsClient client = PsClient.connect(found, shards.access(), 0)) {
        client.put("reached", new byte[] {1}).get(10, TimeUnit.SECONDS);
      }
      try (Shards other = Shards.processesInBackground(1, "128m", false, checkpoint, store.reachableSpec(), 1,
          false)) {
        other.addresses();
        assertEquals(1, published(checkpoint), "shards nobody asked where they listen published it");
        assertFalse(rendezvous.equals(other.rendezvous()), "each start publishes apart: a resumed job's folder"
            + " holds the dead driver's");
        assertEquals(2, published(checkpoint), "shards asked once they listened published nothing");
      }
    }
    assertFalse(store.exists(rendezvous), "the published addresses outlived their shards");
  }

  /** The shards' addresses published in {@code checkpoint}. */
  private long published(S3Path checkpoint) {
    return store.list(checkpoint).stream().filter(o -> o.path().key().contains("shard-addresses-")).count();
  }

  /** A start that fails says why to the workers waiting on it, and to the driver; closing its shards throws nothing. */
  @Test
  void aBackgroundStartThatFailsTellsTheWaitingWorkersWhy() throws Exception {
    S3Path checkpoint = S3Path.parse("s3://shards/failing/");
    // a heap no JVM starts with: the shard process exits at once
    Shards shards = Shards.processesInBackground(1, "1k", false, checkpoint, store.reachableSpec(), 1, false);
    IllegalStateException told = assertThrows(IllegalStateException.class,
        () -> ShardRendezvous.await(store, shards.rendezvous(), () -> false));
    assertTrue(told.getMessage().contains("could not start"), told.getMessage());
    RuntimeException thrown = assertThrows(RuntimeException.class, shards::addresses);
    assertTrue(told.getMessage().contains(thrown.getMessage()), told.getMessage() + " against " + thrown);
    assertFalse(shards.listening());
    shards.close();
  }

  /** A worker whose generation ends while it waits stops waiting. */
  @Test
  void aWorkerStopsWaitingForShardsWhenToldTo() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
    assertEquals(null, ShardRendezvous.await(store, S3Path.parse("s3://shards/never"),
        () -> System.nanoTime() > deadline));
  }

  @Test
  void shardsStartedElsewhereStartNoMore() {
    Shards remote = Shards.remote(List.of(new InetSocketAddress("127.0.0.1", 1)), null);
    assertFalse(remote.canStartMore());
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> remote.startMore(1));
    assertTrue(refused.getMessage().contains("psEndpoints"), refused.getMessage());
  }
}
