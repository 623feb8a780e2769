package dev.stratus.transforms.train;

import dev.stratus.ps.PsClient;
import dev.stratus.ps.PsModel;
import dev.stratus.ps.PsServer;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.transforms.data.SparseRow;
import dev.stratus.transforms.dataset.Dataset;
import dev.stratus.transforms.iterate.MinibatchIterator;
import dev.stratus.transforms.sgd.BinaryMetrics;
import dev.stratus.transforms.sgd.LogisticModel;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A training job on one machine, as the DirectRunner runs it: parameter-server shards on loopback, one worker per
 * thread or, with {@link TrainingSpec#workerProcesses()}, per JVM whose heap is the worker's memory (each with its
 * own connections, as a Lambda worker would have), and this thread as the monitor that evaluates the test loss and
 * decides when to stop.
 *
 * <p>A worker that dies is replaced by a new one starting where its generation started; the job goes on meanwhile.
 */
public final class LocalTraining implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalTraining.class);
  private static final String MODEL_NAME = "logistic-regression";

  private final TrainingSpec spec;
  private final ObjectStore store;
  private final Dataset train;
  private final SparseRow[] test;
  private final int features;
  private final String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
  private final List<PsServer> shards = new ArrayList<>();
  private final List<InetSocketAddress> addresses = new ArrayList<>();
  private final ExecutorService threads;
  private final WorkerSlot[] slots;
  private volatile boolean stopping;
  private PsClient driver;
  private PsModel model;
  /** The weights of the best evaluation so far, and their test loss. */
  private float[] best;
  private double bestLoss;

  /** One worker position in the job: the generation running there now and where it started. */
  private static final class WorkerSlot {
    volatile Future<WorkerTask.WorkerOutcome> run;
    volatile Runnable kill;
    volatile Runnable stop;
    MinibatchIterator.Position resumeAt;
    int generation;
    final StepTimes pastTimes = new StepTimes();
    long pastStallNanos;
  }

  public LocalTraining(TrainingSpec spec, ObjectStore store, Dataset train, SparseRow[] test) {
    this.spec = spec;
    this.store = store;
    this.train = train;
    this.test = test;
    this.features = (int) train.featureCount();
    this.threads = Executors.newFixedThreadPool(spec.workers(), r -> new Thread(r, "sgd-worker"));
    this.slots = new WorkerSlot[spec.workers()];
  }

  /** Runs to a stop reason, writes the model to {@code modelPath}, and reports. */
  public TrainResult run(S3Path modelPath) throws Exception {
    long start = System.nanoTime();
    startShards();
    LossMonitor monitor =
        new LossMonitor(spec.epsilon(), spec.window(), spec.timeoutSeconds());
    for (int w = 0; w < slots.length; w++) {
      slots[w] = new WorkerSlot();
      launch(w);
    }
    StopReason reason = null;
    while (reason == null) {
      Thread.sleep(spec.evalIntervalMillis());
      reason = monitor.observe(evaluate(start));
      if (reason == null && allWorkersDone()) {
        reason = StopReason.EPOCHS_DONE;
        monitor.observe(evaluate(start));
      }
      if (reason == null) {
        regenerateDeadWorkers();
      }
    }
    stopping = true;
    long updates = stopWorkers();
    // Early stopping keeps the best model seen, not the last: asynchronous SGD's last steps may have overfit.
    LogisticModel trained = new LogisticModel(best);
    store.put(modelPath, trained.toBytes());
    double seconds = (System.nanoTime() - start) / 1e9;
    StepTimes times = new StepTimes();
    long stall = 0;
    for (WorkerSlot slot : slots) {
      times.merge(slot.pastTimes);
      stall += slot.pastStallNanos;
    }
    return new TrainResult(
        modelPath.toString(),
        trained.evaluate(test),
        monitor.curve(),
        reason,
        updates / seconds,
        updates,
        times,
        stall / 1e9,
        totalGenerations());
  }

  /** Ends worker {@code w} abruptly, as if its Lambda died; the monitor will start a successor. */
  public void killWorker(int w) {
    slots[w].kill.run();
  }

  private void startShards() throws Exception {
    for (int s = 0; s < spec.psShards(); s++) {
      PsServer server = PsServer.start(PsServer.Config.of(token).shard(s));
      shards.add(server);
      addresses.add(server.address());
    }
    driver = PsClient.connect(addresses, token);
    model = driver.createModel(MODEL_NAME, WorkerTask.modelSpec(spec, features));
  }

  private void launch(int w) throws Exception {
    WorkerSlot slot = slots[w];
    WorkerTask task =
        new WorkerTask(
            spec, store.reachableSpec(), train, addresses, token, MODEL_NAME, w, partitionsOf(w), slot.resumeAt);
    slot.generation++;
    if (spec.workerProcesses()) {
      Process process = WorkerProcess.start(task, spec.workerMemoryMb());
      slot.run = threads.submit(() -> WorkerProcess.await(process));
      slot.kill = process::destroyForcibly;
      slot.stop = () -> WorkerProcess.requestStop(process);
    } else {
      Future<WorkerTask.WorkerOutcome> run =
          threads.submit(() -> task.run(() -> stopping || Thread.currentThread().isInterrupted()));
      slot.run = run;
      slot.kill = () -> run.cancel(true);
      slot.stop = () -> {}; // the thread watches the stopping flag
    }
  }

  /** Worker w takes every {@code workers}-th partition; with more workers than partitions, they share them. */
  private int[] partitionsOf(int w) {
    int count = train.manifest().partitions().size();
    if (count <= w) {
      return new int[] {w % count};
    }
    List<Integer> mine = new ArrayList<>();
    for (int p = w; p < count; p += slots.length) {
      mine.add(p);
    }
    return mine.stream().mapToInt(Integer::intValue).toArray();
  }

  private CurvePoint evaluate(long start) throws Exception {
    float[] weights = driver.pullAll(model).get(60, TimeUnit.SECONDS);
    BinaryMetrics metrics = new LogisticModel(weights).evaluate(test);
    if (best == null || metrics.logloss() < bestLoss) {
      best = weights;
      bestLoss = metrics.logloss();
    }
    CurvePoint point =
        new CurvePoint((System.nanoTime() - start) / 1e9, updatesSoFar(), metrics.logloss(), metrics.auc());
    LOG.info(
        String.format(
            "%6.1f s  %,11d updates  test logloss %.5f  AUC %.4f",
            point.seconds(), point.updates(), point.testLogloss(), point.testAuc()));
    return point;
  }

  private long updatesSoFar() throws Exception {
    return driver.status(model).get(30, TimeUnit.SECONDS).clock();
  }

  private boolean allWorkersDone() {
    for (WorkerSlot slot : slots) {
      WorkerTask.WorkerOutcome outcome = outcomeIfDone(slot);
      if (outcome == null || !outcome.dataEnded()) {
        return false;
      }
    }
    return true;
  }

  /** The slot's outcome once its worker has ended normally; null while it runs, or if it died. */
  private static WorkerTask.WorkerOutcome outcomeIfDone(WorkerSlot slot) {
    if (!slot.run.isDone() || slot.run.isCancelled()) {
      return null;
    }
    try {
      return slot.run.get();
    } catch (Exception e) {
      return null;
    }
  }

  private void regenerateDeadWorkers() throws Exception {
    for (int w = 0; w < slots.length; w++) {
      WorkerSlot slot = slots[w];
      if (slot.run.isDone() && outcomeIfDone(slot) == null) {
        LOG.warn("worker {} (generation {}) died; starting its successor", w, slot.generation);
        launch(w);
      }
    }
  }

  /** Keeps a finished worker's figures and position for its successor and the report. */
  private void retire(WorkerSlot slot) {
    WorkerTask.WorkerOutcome outcome = outcomeIfDone(slot);
    if (outcome != null) {
      slot.pastTimes.merge(outcome.times());
      slot.pastStallNanos += outcome.stallNanos();
      slot.resumeAt = outcome.position();
    }
  }

  private long stopWorkers() throws Exception {
    for (WorkerSlot slot : slots) {
      slot.stop.run();
    }
    for (WorkerSlot slot : slots) {
      try {
        slot.run.get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        // A killed or failed worker has been counted as dead; its pushes are done or lost.
      }
      retire(slot);
    }
    return updatesSoFar();
  }

  private int totalGenerations() {
    int sum = 0;
    for (WorkerSlot slot : slots) {
      sum += slot.generation;
    }
    return sum;
  }

  @Override
  public void close() {
    stopping = true;
    for (WorkerSlot slot : slots) {
      if (slot != null && slot.kill != null) {
        slot.kill.run();
      }
    }
    threads.shutdownNow();
    if (driver != null) {
      driver.close();
    }
    for (PsServer shard : shards) {
      shard.close();
    }
  }
}
