package dev.stratus.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.iterate.MinibatchIterator;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.ShardAccess;
import dev.stratus.ps.WireValues;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkerMessagesTest {
  private static TrainingSpec spec(boolean prefetch) {
    return new TrainingSpec(2, 1, 512, Optimizer.ADAGRAD, 0.05f, 20, 1e-6f, 0, 5, 30, 1000, 0, 4, 7, false, 60, 3,
        prefetch);
  }

  private static WorkerTask task(TrainingSpec spec) {
    return task(spec, ShardAccess.plain("secret"));
  }

  private static WorkerTask task(TrainingSpec spec, ShardAccess access) {
    Dataset train = new Dataset("s3://bucket/train",
        DatasetManifest.template(1 << 10, List.of(), "test", null));
    return new WorkerTask(spec, StoreSpec.endpoint(URI.create("http://127.0.0.1:9000"), "us-east-1", "key", "secret"), train,
        List.of(new InetSocketAddress("127.0.0.1", 4000)), null, access, "lr", 1, 0, new int[] {0, 1},
        MinibatchIterator.Position.START);
  }

  @Test
  void aWorkerTaskKeepsItsPrefetchSettingOnTheWay() {
    assertFalse(WorkerMessages.task(WorkerMessages.task(task(spec(false)))).spec().prefetch());
    assertTrue(WorkerMessages.task(WorkerMessages.task(task(spec(true)))).spec().prefetch());
    assertEquals(spec(false), WorkerMessages.task(WorkerMessages.task(task(spec(false)))).spec());
  }

  @Test
  void aWorkerTaskKeepsHowItsValuesTravelAndATaskThatSaysNothingSendsFloat32() {
    TrainingSpec halves = spec(true).withWireValues(WireValues.FLOAT16);
    assertEquals(WireValues.FLOAT16, WorkerMessages.task(WorkerMessages.task(task(halves))).spec().wireValues());
    String older = new String(WorkerMessages.task(task(spec(true))), StandardCharsets.UTF_8)
        .replace(",\"wireValues\":\"FLOAT32\"", "");
    assertFalse(older.contains("wireValues"), older);
    assertEquals(WireValues.FLOAT32,
        WorkerMessages.task(older.getBytes(StandardCharsets.UTF_8)).spec().wireValues());
  }

  @Test
  void aWorkerTaskKeepsItsSolver() {
    TrainingSpec quasiNewton = spec(true).withSolver(Solver.LBFGS);
    assertEquals(Solver.LBFGS, WorkerMessages.task(WorkerMessages.task(task(quasiNewton))).spec().solver());
    assertEquals(Solver.SGD, WorkerMessages.task(WorkerMessages.task(task(spec(true)))).spec().solver());
  }

  @Test
  void shardsCrossByNameForTheWorkerToResolve() {
    List<InetSocketAddress> named = List.of(InetSocketAddress.createUnresolved("shard0.example.com", 7070),
        InetSocketAddress.createUnresolved("2001:db8::7", 7071));
    WorkerTask sent = task(spec(true));
    WorkerTask withNames = new WorkerTask(sent.spec(), sent.store(), sent.train(), named, null, sent.access(),
        sent.modelName(), sent.workerId(), sent.generation(), sent.partitions(), sent.start());
    assertEquals(named, WorkerMessages.task(WorkerMessages.task(withNames)).shards());
    assertEquals(null, WorkerMessages.task(WorkerMessages.task(withNames)).shardsAt());
  }

  @Test
  void aTaskLaunchedBeforeItsShardsListenCarriesWhereTheyWillSaySo() {
    WorkerTask sent = task(spec(true));
    S3Path rendezvous = S3Path.parse("s3://bucket/models/m.shards/shard-addresses-0a1b");
    WorkerTask early = new WorkerTask(sent.spec(), sent.store(), sent.train(), List.of(), rendezvous, sent.access(),
        sent.modelName(), sent.workerId(), sent.generation(), sent.partitions(), sent.start());
    WorkerTask received = WorkerMessages.task(WorkerMessages.task(early));
    assertEquals(List.of(), received.shards());
    assertEquals(rendezvous, received.shardsAt());
  }

  @Test
  void theShardsCertificateTravelsWithTheSecretAndPlainShardsHaveNone() {
    String certificate = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    ShardAccess overTls = ShardAccess.tls("secret", certificate);
    assertEquals(overTls, WorkerMessages.task(WorkerMessages.task(task(spec(true), overTls))).access());
    ShardAccess plain = WorkerMessages.task(WorkerMessages.task(task(spec(true)))).access();
    assertEquals(ShardAccess.plain("secret"), plain);
    assertFalse(plain.usesTls());
  }

  @Test
  void prefetchingIsTheDefault() {
    assertTrue(new TrainingSpec(2, 1, 512, Optimizer.ADAGRAD, 0.05f, 20, 1e-6f, 0, 5, 30, 1000, 0, 4, 7, false, 60, 3)
        .prefetch());
  }
}
