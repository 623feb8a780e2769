package dev.stratus.ps.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.ModelStatus;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.PsException;
import dev.stratus.ps.ShardMetrics;
import dev.stratus.ps.ShardAccess;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import dev.stratus.ps.server.PsProcesses;
import dev.stratus.ps.wire.FrameOut;
import dev.stratus.store.EmbeddedS3Server;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreException;
import dev.stratus.store.StoreSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SnapshotTest {
  @TempDir static Path storeDir;
  private static EmbeddedS3Server s3;
  private static StoreSpec store;

  @BeforeAll
  static void startStore() {
    s3 = EmbeddedS3Server.start(storeDir);
    store = s3.spec();
  }

  @AfterAll
  static void stopStore() {
    s3.close();
  }

  private static ShardConfig config(String job) {
    return ShardConfig.of(Shards.SECRET).checkpoint(S3Path.parse("s3://ps-checkpoints/" + job), store);
  }

  private static float[] pushSome(PsClient ps, PsModel model, int rounds, int seed) {
    java.util.Random random = new java.util.Random(seed);
    for (int r = 0; r < rounds; r++) {
      int[] keys = random.ints(30, 0, model.spec().rows()).distinct().sorted().toArray();
      float[] gradient = new float[keys.length * model.spec().cols()];
      for (int i = 0; i < gradient.length; i++) {
        gradient[i] = random.nextFloat() - 0.5f;
      }
      ps.push(model, keys, gradient).join();
    }
    return ps.pullAll(model).join();
  }

  /** Random initial values too: a restored model holds the snapshot's weights, never its initial ones again. */
  @Test
  void restartedShardsResumeFromTheirSnapshot() throws Exception {
    ModelSpec spec = ModelSpec.matrix(5000, 2).optimizer(Optimizer.ADAGRAD).learningRate(0.3f).initScale(0.05f);
    float[] snapped;
    long clock;
    try (Shards shards = Shards.start(2, config("restart")); PsClient ps = shards.client(4)) {
      PsModel model = ps.createModel("adagrad", spec);
      float[] initial = ps.pullAll(model).get();
      snapped = pushSome(ps, model, 40, 1);
      assertFalse(Arrays.equals(initial, snapped));
      clock = ps.snapshot(model).get();
      assertEquals(40, clock);
      // a restore on demand undoes what came after the snapshot
      float[] later = pushSome(ps, model, 5, 2);
      assertFalse(Arrays.equals(snapped, later));
      assertEquals(40, ps.restore(model).get());
      assertArrayEquals(snapped, ps.pullAll(model).get());
    }
    // per shard: the pointer and the one snapshot it names (the one taken at creation is deleted once replaced)
    assertEquals(4, ObjectStore.of(store).list(S3Path.parse("s3://ps-checkpoints/restart/")).size());

    try (Shards shards = Shards.start(2, config("restart")); PsClient ps = shards.client(4)) {
      PsModel model = ps.createModel("adagrad", spec); // found: restored at start
      assertArrayEquals(snapped, ps.pullAll(model).get());
      assertEquals(new ModelStatus(40, Map.of(4, 40L)), ps.status(model).get());
      // the optimizer state came back too: the next AdaGrad step matches one taken without the restart
      float[] continued = pushSome(ps, model, 3, 3);
      try (Shards fresh = Shards.start(2); PsClient reference = fresh.client()) {
        PsModel replay = reference.createModel("adagrad", spec);
        pushSome(reference, replay, 40, 1);
        assertArrayEquals(continued, pushSome(reference, replay, 3, 3));
      }
    }
  }

  @Test
  void aSnapshotKeepsTheSpecsInitScale() {
    ModelSpec spec = ModelSpec.matrix(4, 2).optimizer(Optimizer.MOMENTUM).momentum(0.5f).initScale(0.25f);
    Snapshot snapshot = new Snapshot(3, "factors", spec, 1, 3, 7, 9, 1234, Map.of(2, 7L),
        new float[] {1, 2, 3, 4}, new float[] {5, 6, 7, 8});
    Snapshot decoded = Snapshot.decode(snapshot.encode(), "in memory");
    assertEquals(spec, decoded.spec());
    assertArrayEquals(snapshot.weights(), decoded.weights());
    assertArrayEquals(snapshot.state(), decoded.state());
    assertEquals(List.of(3, 1, 3, 7L, 9L, 1234L, Map.of(2, 7L)), List.of(decoded.id(), decoded.rowStart(),
        decoded.rowEnd(), decoded.clock(), decoded.changes(), decoded.takenAtMillis(), decoded.updatesByWorker()));
  }

  /** What a shard of the build before initScale wrote: magic "SPS2", its spec without initScale. */
  @Test
  void aFormat2SnapshotReadsAsInitScaleZero() {
    int sps2 = 0x53505332;
    FrameOut body = new FrameOut(Integer.MAX_VALUE);
    body.i32(sps2).i32(0).str("old").i32(3).i32(1).u8(Optimizer.SGD.ordinal()).f32(0.5f).f32(0f).f32(0f)
        .i32(0).i32(3).i64(2).i64(2).i64(1234).i32(0).floatArray(new float[] {-1, 0, 1}).u8(0);
    byte[] raw = body.toByteArray();
    byte[] compressed = LZ4Factory.fastestInstance().fastCompressor().compress(raw);
    byte[] header = new FrameOut(Integer.MAX_VALUE).i32(sps2).i32(raw.length).toByteArray();
    byte[] bytes = Arrays.copyOf(header, header.length + compressed.length);
    System.arraycopy(compressed, 0, bytes, header.length, compressed.length);

    Snapshot old = Snapshot.decode(bytes, "of format 2");
    assertEquals(new ModelSpec(3, 1, Optimizer.SGD, 0.5f, 0f, 0f, 0f, false, 0f, true), old.spec());
    assertArrayEquals(new float[] {-1, 0, 1}, old.weights());
    String refused = assertThrows(PsException.class, () -> Snapshot.decode(new byte[8], "zeros")).getMessage();
    assertTrue(refused.contains("format 2, 3 or 4"), refused);
  }

  @Test
  void periodicSnapshotsSurviveACrashedShardProcess() throws Exception {
    ModelSpec spec = ModelSpec.vector(14).optimizer(Optimizer.MOMENTUM).momentum(0.5f);
    try (PsProcesses processes = PsProcesses.start(2, config("periodic").snapshotEvery(1), "256m")) {
      float[] before;
      // a short reconnect bound: the killed shard is not coming back until restarted by hand
      try (PsClient ps = PsClient.connect(processes.addresses(), ShardAccess.plain(Shards.SECRET), 0,
          Duration.ofMillis(200))) {
        PsModel model = ps.createModel("momentum", spec);
        before = pushSome(ps, model, 25, 4);
        awaitSnapshots("s3://ps-checkpoints/periodic/", "momentum",
            ps.metrics().get().stream().mapToLong(ShardMetrics::updates).toArray());
        processes.kill(1);
        assertTrue(ps.pull(model, new int[] {spec.rows() - 1}).handle((v, e) -> e).get(10, TimeUnit.SECONDS)
            instanceof PsException, "a pull from a dead shard fails");
      }
      processes.restart(1);
      try (PsClient ps = PsClient.connect(processes.addresses(), Shards.SECRET)) {
        PsModel model = ps.createModel("momentum", spec);
        assertArrayEquals(before, ps.pullAll(model).get());
        assertEquals(25, ps.status(model).get().clock());
      }
    }
  }

  /**
   * Waits until the periodic snapshot each shard's pointer names holds all the pushes that shard applied: {@code
   * updates[shard]}, from its metrics (the event itself, not a guess at the snapshot period). A sum of clocks would
   * not do: a push spanning both shards counts in the clock of one only, so the other's snapshot could lag unseen.
   */
  private static void awaitSnapshots(String checkpoint, String model, long[] updates) throws InterruptedException {
    ObjectStore objects = ObjectStore.of(store);
    long[] held = new long[updates.length];
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      for (int shard = 0; shard < updates.length; shard++) {
        Snapshot latest = latest(objects, S3Path.parse(checkpoint + "shard-" + shard + "/"), model);
        held[shard] = latest == null ? 0 : latest.changes();
      }
      if (Arrays.equals(held, updates)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the snapshots under " + checkpoint + " hold " + Arrays.toString(held)
        + " pushes, not " + Arrays.toString(updates));
  }

  /** The snapshot of {@code model} that the pointer under {@code shardPrefix} names, or null before the first. */
  static Snapshot latest(ObjectStore objects, S3Path shardPrefix, String model) {
    S3Path pointer = shardPrefix.resolve(model + ".latest");
    if (!objects.exists(pointer)) {
      return null;
    }
    S3Path data = shardPrefix.resolve(model + "/" + new String(objects.get(pointer), StandardCharsets.UTF_8));
    try {
      return Snapshot.decode(objects.get(data), data.toString());
    } catch (StoreException.NotFound replaced) {
      // a running shard wrote a newer one, moved the pointer and deleted this one between the two reads
      return latest(objects, shardPrefix, model);
    }
  }

  @Test
  void aSnapshotWrittenButNotPointedToIsNeverRestoredAndIsDeleted() throws Exception {
    ModelSpec spec = ModelSpec.vector(8).learningRate(1f);
    ObjectStore objects = ObjectStore.of(store);
    S3Path shardPrefix = S3Path.parse("s3://ps-checkpoints/half-written/shard-0/");
    float[] snapped;
    try (Shards shards = Shards.start(1, config("half-written").snapshotEvery(0)); PsClient ps = shards.client()) {
      PsModel model = ps.createModel("m", spec);
      snapped = pushSome(ps, model, 3, 5);
      assertEquals(3, ps.snapshot(model).get());
    }
    // what a shard killed in the middle of writing its next snapshot leaves: an object the pointer does not name
    S3Path halfWritten = shardPrefix.resolve("m/99-1.snapshot");
    objects.put(halfWritten, new byte[] {0x53, 0x50, 0x53});
    try (Shards shards = Shards.start(1, config("half-written")); PsClient ps = shards.client()) {
      PsModel model = ps.createModel("m", spec);
      assertArrayEquals(snapped, ps.pullAll(model).get());
      assertEquals(3, ps.status(model).get().clock());
    }
    assertFalse(objects.exists(halfWritten), "the restore deletes what no pointer names");
    assertEquals(3, latest(objects, shardPrefix, "m").clock());
  }

  @Test
  void aDeletedModelsSnapshotsAreDeletedAndARestartedShardKeepsTheIdsClientsUse() throws Exception {
    ModelSpec spec = ModelSpec.vector(8).learningRate(1f);
    ObjectStore objects = ObjectStore.of(store);
    S3Path shardPrefix = S3Path.parse("s3://ps-checkpoints/ids/shard-0/");
    float[] kept;
    PsModel second;
    try (Shards shards = Shards.start(1, config("ids").snapshotEvery(0)); PsClient ps = shards.client()) {
      ps.createModel("gone", spec);
      second = ps.createModel("kept", spec);
      kept = pushSome(ps, second, 2, 6);
      ps.snapshot(second).get();
      assertTrue(ps.deleteModel("gone").get());
      awaitGone(objects, shardPrefix.resolve("gone.latest"));
    }
    try (Shards shards = Shards.start(1, config("ids")); PsClient ps = shards.client()) {
      // the handle from before the restart names the model by its old id
      assertArrayEquals(kept, ps.pullAll(second).get(), "restored under the id clients named it by");
      ps.createModel("new", spec);
      assertArrayEquals(kept, ps.pullAll(second).get(), "a new model gets an id no client held before");
      assertEquals(2, ps.metrics().get().get(0).models(), "the deleted model did not come back");
    }
  }

  /**
   * A scratch model (an L-BFGS round's) is never written, at its creation or later, and a restart does not bring it:
   * the shard read the flag off the wire.
   */
  @Test
  void aModelNotSnapshottedIsInNoSnapshotAndARestartedShardHasItNot() throws Exception {
    ModelSpec kept = ModelSpec.vector(8).learningRate(1f);
    ModelSpec scratch = kept.snapshotted(false);
    ObjectStore objects = ObjectStore.of(store);
    S3Path shardPrefix = S3Path.parse("s3://ps-checkpoints/scratch/shard-0/");
    try (Shards shards = Shards.start(1, config("scratch")); PsClient ps = shards.client()) {
      PsModel model = ps.createModel("model", kept);
      PsModel round = ps.createModel("round", scratch);
      pushSome(ps, round, 3, 7);
      pushSome(ps, model, 3, 8);
      ps.snapshot(model).get();
    }
    assertTrue(objects.exists(shardPrefix.resolve("model.latest")), "the other model was snapshotted");
    assertTrue(objects.list(shardPrefix).stream().noneMatch(o -> o.path().key().contains("round")),
        "nothing of the scratch model was written: " + objects.list(shardPrefix));
    try (Shards shards = Shards.start(1, config("scratch")); PsClient ps = shards.client()) {
      assertEquals(1, ps.metrics().get().get(0).models(), "only the snapshotted model came back");
    }
  }

  private static void awaitGone(ObjectStore objects, S3Path path) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (objects.exists(path)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(path + " is still there");
      }
      Thread.sleep(20);
    }
  }

  @Test
  void snapshotWithoutCheckpointLocationIsAnErrorReply() throws Exception {
    try (Shards shards = Shards.start(1); PsClient ps = shards.client()) {
      PsModel model = ps.createModel("nowhere", ModelSpec.vector(4));
      Throwable error = ps.snapshot(model).handle((v, e) -> e).get();
      assertTrue(error instanceof PsException && error.getMessage().contains("no checkpoint location"),
          String.valueOf(error));
      assertEquals(List.of(), ps.list("").get()); // still answering
    }
  }
}
