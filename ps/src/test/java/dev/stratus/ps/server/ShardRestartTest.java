package dev.stratus.ps.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.ShardMetrics;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import dev.stratus.store.EmbeddedS3Server;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shard processes that die and are replaced on their port by {@link PsProcesses#restartWhenDead} (a client's view of
 * a restart is {@code client.ReconnectTest}'s, a training's {@code TrainingDriverTest}'s).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ShardRestartTest {
  @TempDir static Path storeDir;
  private static EmbeddedS3Server s3;

  @BeforeAll
  static void startStore() {
    s3 = EmbeddedS3Server.start(storeDir);
  }

  @AfterAll
  static void stopStore() {
    s3.close();
  }

  private static ShardConfig checkpointed(String job) {
    return ShardConfig.of(Shards.SECRET).checkpoint(S3Path.parse("s3://ps-restarts/" + job + "/"), s3.spec());
  }

  /** Restarts as the watcher hears of them: the shard, or -1 - shard for a restart that failed. */
  private static final class Restarts implements PsProcesses.Watcher {
    final BlockingQueue<Integer> shards = new LinkedBlockingQueue<>();

    @Override
    public void died(int shard, int exitCode) {}

    @Override
    public void restarted(int shard) {
      shards.add(shard);
    }

    @Override
    public void couldNotRestart(int shard, RuntimeException why) {
      why.printStackTrace();
      shards.add(-1 - shard);
    }

    void await(int shard) throws InterruptedException {
      Integer restarted = shards.poll(60, TimeUnit.SECONDS);
      assertEquals(shard, restarted, "the shard restarted");
    }
  }

  private static void pushAll(PsClient ps, PsModel model, int seed) {
    Random random = new Random(seed);
    int rows = model.spec().rows();
    int step = 200_000;
    for (int from = 0; from < rows; from += step) {
      int[] keys = new int[Math.min(step, rows - from)];
      float[] gradient = new float[keys.length];
      for (int i = 0; i < keys.length; i++) {
        keys[i] = from + i;
        gradient[i] = random.nextFloat() - 0.5f;
      }
      ps.push(model, keys, gradient).join();
    }
  }

  /**
   * Fresh shards (a new job's) do not read their checkpoint when they start, so what another job left there is not
   * theirs; they snapshot there all the same, and a replacement of one that dies restores from it.
   */
  @Test
  void aFreshShardStartsWithoutRestoringYetSnapshotsAndItsReplacementRestores() throws Exception {
    ModelSpec spec = ModelSpec.vector(4).optimizer(Optimizer.SGD).learningRate(1f);
    ShardConfig config = checkpointed("fresh").snapshotEvery(0);
    try (PsProcesses before = PsProcesses.start(1, config, "128m");
        PsClient ps = PsClient.connect(before.addresses(), Shards.SECRET)) {
      PsModel model = ps.createModel("m", spec);
      ps.push(model, new int[] {3}, new float[] {-5}).get();
      assertEquals(1, ps.snapshot(model).get(), "a snapshot left in the checkpoint");
    }
    Restarts restarts = new Restarts();
    try (PsProcesses fresh = PsProcesses.startFresh(1, config, "128m")) {
      float[] written;
      try (PsClient ps = PsClient.connect(fresh.addresses(), Shards.SECRET)) {
        PsModel model = ps.createModel("m", spec);
        assertEquals(0, ps.status(model).get().clock(), "the snapshot left there was not restored");
        ps.push(model, new int[] {3, 7}, new float[] {-2, -1}).get();
        ps.push(model, new int[] {7}, new float[] {-1}).get();
        assertEquals(2, ps.snapshot(model).get(), "its own snapshot, through the store client made meanwhile");
        written = ps.pullAll(model).get();
        fresh.restartWhenDead(restarts);
        fresh.kill(0);
        restarts.await(0);
      }
      try (PsClient ps = PsClient.connect(fresh.addresses(), Shards.SECRET)) {
        PsModel model = ps.createModel("m", spec);
        assertEquals(2, ps.status(model).get().clock(), "the replacement restored the fresh shard's snapshot");
        assertArrayEquals(written, ps.pullAll(model).get());
        assertEquals(2f, written[3]);
      }
    }
  }

  /**
   * The shard is killed as it logs that it starts writing a snapshot (its DEBUG line, switched on for this test): the
   * replacement restores the snapshot before it, complete, not the one being written.
   */
  @Test
  void aShardKilledWhileWritingASnapshotComesBackFromThePreviousOne() throws Exception {
    Restarts restarts = new Restarts();
    // big enough that writing its snapshot takes far longer than the kill: random weights LZ4 cannot shrink
    ModelSpec spec = ModelSpec.matrix(2_000_000, 1).learningRate(0.1f);
    CompletableFuture<Void> killed = new CompletableFuture<>();
    PsProcesses[] started = new PsProcesses[1];
    String writing = Snapshots.writingLine(0, "big");
    try (PsProcesses processes = PsProcesses.start(1, checkpointed("killed-writing").snapshotEvery(0), "512m",
        List.of("-Dorg.slf4j.simpleLogger.log." + Snapshots.class.getName() + "=debug"), List.of(),
        (shard, line) -> {
          if (line.contains(writing) && started[0] != null && !killed.isDone()) {
            started[0].kill(shard);
            killed.complete(null);
          }
        })) {
      float[] complete;
      try (PsClient ps = PsClient.connect(processes.addresses(), Shards.SECRET)) {
        PsModel model = ps.createModel("big", spec);
        pushAll(ps, model, 3);
        assertEquals(10, ps.snapshot(model).get());
        complete = ps.pullAll(model).get();
        pushAll(ps, model, 4);
        processes.restartWhenDead(restarts);
        started[0] = processes; // from now on the next snapshot's first line kills the shard
        Throwable lost = ps.snapshot(model).handle((clock, error) -> error).get(30, TimeUnit.SECONDS);
        assertTrue(lost != null, "the snapshot being written when the shard died did not complete");
        killed.get(10, TimeUnit.SECONDS);
        restarts.await(0);
      }
      ObjectStore objects = ObjectStore.of(s3.spec());
      S3Path shardPrefix = S3Path.parse("s3://ps-restarts/killed-writing/shard-0/");
      try (PsClient ps = PsClient.connect(processes.addresses(), Shards.SECRET)) {
        PsModel model = ps.createModel("big", spec);
        assertEquals(10, ps.status(model).get().clock(), "the clock of the previous complete snapshot");
        assertArrayEquals(complete, ps.pullAll(model).get());
        ShardMetrics restarted = ps.metrics().get().get(0);
        assertEquals(10, restarted.updatesHeld(), "its metrics count the pushes it restored");
        assertTrue(restarted.restoredSnapshotMillis() > 0, "and say when the snapshot was taken");
      }
      assertEquals(1, objects.list(shardPrefix.resolve("big/")).size(), "the half-written one is gone");
    }
  }

  /**
   * A watcher still busy with a replacement when that one dies too, as a driver reading the replacement's metrics
   * is: the next replacement starts all the same (the watcher's wait for an answer ends), and the watcher hears of
   * both restarts in order.
   */
  @Test
  void aReplacementThatDiesWhileItsWatcherWaitsForItIsReplacedAllTheSame() throws Exception {
    try (PsProcesses processes = PsProcesses.start(1, checkpointed("died-twice"), "128m");
        PsClient ps = PsClient.connect(processes.addresses(), Shards.SECRET)) {
      BlockingQueue<String> heard = new LinkedBlockingQueue<>();
      AtomicInteger restarts = new AtomicInteger();
      processes.restartWhenDead(new PsProcesses.Watcher() {
        @Override
        public void died(int shard, int exitCode) {}

        @Override
        public void restarted(int shard) {
          if (restarts.incrementAndGet() == 1) {
            processes.kill(shard); // then waits for the shard to answer, which only its next replacement can
            heard.add(answersWithin(ps, 30) ? "restarted and answered" : "restarted, no answer within 30 s");
          } else {
            heard.add("restarted again");
          }
        }

        @Override
        public void couldNotRestart(int shard, RuntimeException why) {
          heard.add("could not restart: " + why.getMessage());
        }
      });
      long firstPid = processes.pid(0);
      processes.kill(0);
      assertEquals("restarted and answered", heard.poll(60, TimeUnit.SECONDS));
      assertEquals("restarted again", heard.poll(60, TimeUnit.SECONDS));
      assertTrue(processes.pid(0) != firstPid);
    }
  }

  /** Whether the shards answer {@code ps} within {@code seconds}, through lost connections. */
  private static boolean answersWithin(PsClient ps, int seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      try {
        ps.metrics().get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        return true;
      } catch (Exception lostOrNotYet) {
        // the connection was lost with the shard: ask again
      }
    }
    return false;
  }
}
