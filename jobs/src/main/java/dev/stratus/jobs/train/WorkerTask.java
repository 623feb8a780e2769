package dev.stratus.jobs.train;

import dev.stratus.jvm.DaemonThreadFactory;
import dev.stratus.jvm.Futures;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.iterate.MinibatchIterator;
import dev.stratus.kernels.sgd.LinearObjective;
import dev.stratus.kernels.solve.FullBatch;
import dev.stratus.kernels.solve.HeldPartitions;
import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.ShardAccess;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything one worker generation needs, in a form that travels to another thread, process or Lambda environment
 * ({@link WorkerMessages}): where the shards are and what opens them (the secret; the certificate they present, when
 * they serve TLS), which model, which partitions of which dataset, which generation this is and where it starts.
 *
 * @param store a spec any JVM can reach the store with (never an embedded-directory spec for another process)
 * @param shards where the shards listen; empty when they did not listen yet at launch, and {@code shardsAt} says
 * @param shardsAt where the shards publish their addresses once they listen ({@link ShardRendezvous}), for a worker
 *     launched before; null when {@code shards} are given
 */
public record WorkerTask(
    TrainingSpec spec,
    StoreSpec store,
    Dataset train,
    List<InetSocketAddress> shards,
    S3Path shardsAt,
    ShardAccess access,
    String modelName,
    int workerId,
    int generation,
    int[] partitions,
    MinibatchIterator.Position start) {

  private static final Logger LOG = LoggerFactory.getLogger(WorkerTask.class);
  /** Partitions a worker decodes ahead at most, however small they are against its prefetch budget. */
  private static final int MAX_PREFETCHED_PARTITIONS = 64;
  /** Partitions an L-BFGS generation reads at once. */
  private static final int PARTITION_READS = 2;

  /**
   * The parameter-server model over {@code features} features: a row per feature of the objective's values (a weight,
   * K for K classes, a factorization's factors and bias), and a last row (the linear model's biases).
   */
  static ModelSpec modelSpec(TrainingSpec spec, long features) {
    return ModelSpec.matrix((int) features + 1, spec.objective().columns())
        .initScale(spec.objective().initScale())
        .optimizer(spec.optimizer())
        .learningRate(spec.learningRate())
        .l2(spec.l2())
        .l2AllRows(spec.objective().penalisesAllValues())
        .l1(spec.l1());
  }

  /**
   * Runs the worker until its data ends, its lifetime is over, the driver asks every worker to stop, or {@code stop}
   * says so, recording its position as it goes; reports how far it got.
   *
   * @param lifetimeMillis how long this generation may run
   * @param memoryMb the memory of the environment it runs in, which bounds its prefetching
   */
  public WorkerOutcome run(long lifetimeMillis, int memoryMb, BooleanSupplier stop) throws Exception {
    return run(lifetimeMillis, memoryMb, stop, ComputeClock.THREAD);
  }

  /** {@link #run(long, int, BooleanSupplier)}, its gradients computed by {@code clock} (a simulated service's). */
  public WorkerOutcome run(long lifetimeMillis, int memoryMb, BooleanSupplier stop, ComputeClock clock)
      throws Exception {
    long started = System.nanoTime();
    long deadline = started + lifetimeMillis * 1_000_000L;
    ObjectStore objects = ObjectStore.of(store);
    int features = (int) train.featureCount();
    BooleanSupplier over = () -> System.nanoTime() >= deadline || stop.getAsBoolean();
    if (spec.solver() == Solver.LBFGS) {
      return serveGradientRounds(objects, features, over, started, clock);
    }
    List<InetSocketAddress> addresses = shardAddresses(objects, over);
    if (addresses == null) {
      return stepless(started);
    }
    try (PsClient ps = PsClient.connect(addresses, access, workerId).wireValues(spec.wireValues());
        MinibatchIterator batches =
            MinibatchIterator.over(k -> DatasetReader.partitionRows(objects, train, k), partitions)
                .batchSize(spec.minibatchSize())
                .biasKey(features)
                .epochs(spec.epochs())
                .seed(spec.seed() + workerId)
                .startAt(start)
                .prefetch(spec.prefetch())
                .prefetchDepth(MAX_PREFETCHED_PARTITIONS)
                .prefetchBudgetBytes(TrainingSpec.prefetchBudgetBytes(memoryMb))
                .build()) {
      PsModel model = ps.createModel(modelName, modelSpec(spec, features));
      SgdWorker worker = new SgdWorker(ps, model, spec.objective(), batches, spec.maxPushesInFlight(), clock);
      WorkerCheckpoints.Reporter reporter = new WorkerCheckpoints.Reporter(ps, modelName, workerId, generation, start);
      Supplier<MinibatchIterator.Position> position = worker::position;
      boolean dataEnded =
          worker.run(() -> System.nanoTime() >= deadline || reporter.tick(position) || stop.getAsBoolean());
      reporter.finish(worker.position());
      if (worker.lostPushes() > 0) {
        LOG.info("worker {} generation {}: {} gradients lost in flight to shards whose connection was lost",
            workerId, generation, worker.lostPushes());
      }
      return new WorkerOutcome(
          dataEnded, worker.position(), worker.times(), worker.stallNanos(), (System.nanoTime() - started) / 1e9);
    }
  }

  /**
   * An {@link Solver#LBFGS} generation: reads its partitions into memory, then serves the driver's gradient rounds
   * until {@code stop} or the driver's stop request.
   */
  private WorkerOutcome serveGradientRounds(ObjectStore objects, int features, BooleanSupplier stop, long started,
      ComputeClock clock) throws Exception {
    Map<Integer, FullBatch> held = readHeld(objects, features); // while the shards may still be starting
    List<InetSocketAddress> addresses = shardAddresses(objects, stop);
    if (addresses == null) {
      return stepless(started);
    }
    try (PsClient ps = PsClient.connect(addresses, access, workerId).wireValues(spec.wireValues())) {
      GradientWorker worker = new GradientWorker(ps, modelName, workerId, generation,
          ((LinearObjective) spec.objective()).smooth(),
          new HeldPartitions(held), GradientRounds.roundSpec(features + 1, spec.objective().columns()), clock,
          placed -> PsClient.connect(placed, access, workerId).wireValues(spec.wireValues()));
      worker.run(stop);
      LOG.debug("worker {} generation {}: {} gradient rounds over partitions {}", workerId, generation,
          worker.rounds(), held.keySet());
      return stepless(started);
    }
  }

  /** How a generation that took no SGD step ended: where it started, after its time since {@code started}. */
  private WorkerOutcome stepless(long started) {
    return new WorkerOutcome(false, start, new StepTimes(), 0, (System.nanoTime() - started) / 1e9);
  }

  /** Where the shards listen: as given, or once they publish it; null if {@code stop} said so first. */
  private List<InetSocketAddress> shardAddresses(ObjectStore objects, BooleanSupplier stop)
      throws InterruptedException {
    return shardsAt == null ? shards : ShardRendezvous.await(objects, shardsAt, stop);
  }

  /**
   * Reads and lays out this generation's partitions, {@value #PARTITION_READS} at once: on Lambda each read waits tens
   * of milliseconds on S3 before its bytes come, and a partition's decoding overlaps the next one's wait.
   */
  private Map<Integer, FullBatch> readHeld(ObjectStore objects, int features) throws Exception {
    ExecutorService readers = Executors.newFixedThreadPool(
        Math.max(1, Math.min(PARTITION_READS, partitions.length)), new DaemonThreadFactory("partition-reader"));
    try {
      Map<Integer, Future<FullBatch>> reads = new HashMap<>();
      for (int partition : partitions) {
        reads.put(partition, readers.submit(
            () -> FullBatch.of(DatasetReader.partitionRows(objects, train, partition), features)));
      }
      Map<Integer, FullBatch> held = new HashMap<>();
      for (Map.Entry<Integer, Future<FullBatch>> read : reads.entrySet()) {
        held.put(read.getKey(), Futures.result(read.getValue()));
      }
      return held;
    } finally {
      readers.shutdownNow();
    }
  }

  /**
   * How a worker generation ended: whether its data ran out, where a successor starts, its timings, and how long it
   * ran from its own start to its return.
   */
  public record WorkerOutcome(
      boolean dataEnded, MinibatchIterator.Position position, StepTimes times, long stallNanos, double workSeconds) {}
}
