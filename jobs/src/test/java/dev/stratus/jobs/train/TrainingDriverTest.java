package dev.stratus.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.dataset.DatasetWriter;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.kernels.iterate.MinibatchIterator.Position;
import dev.stratus.kernels.reference.Liblinear;
import dev.stratus.kernels.sgd.LinearModel;
import dev.stratus.ps.Optimizer;
import dev.stratus.store.EmbeddedS3Server;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trains against real parameter-server shards on loopback, on data from a planted sparse logistic model, and holds
 * the result to the optimum that liblinear finds on the same split.
 */
@Timeout(240)
class TrainingDriverTest {
  private static final int FEATURES = 2_000;
  /** Within 2% of the exact solver's test logloss. */
  private static final double BAR = 1.02;
  /** A worker process's heap, in MB, that a generation runs out of. */
  private static final int OUT_OF_MEMORY_MB = 16;

  @TempDir static Path dir;
  static EmbeddedS3Server server;
  static ObjectStore store;
  static Dataset train;
  static List<SparseRow> validationRows;
  static PlantedData planted;
  static double optimum;

  @BeforeAll
  static void data() throws Exception {
    server = EmbeddedS3Server.start(dir);
    store = ObjectStore.of(server.spec());
    store.ensureBucket("training");
    PlantedData data = new PlantedData(FEATURES, 40_000, 10_000, 2024);
    planted = data;
    validationRows = data.test;
    train =
        DatasetWriter.write(
            store,
            S3Path.parse("s3://training/planted/train"),
            data.train,
            DatasetManifest.template(FEATURES, List.of(), "planted", null),
            4_000);
    optimum = Liblinear.bestOf(data.train, data.test, 0.1, 1, 10).test().loss();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static TrainingSpec spec(int workers, int shards) {
    return spec(workers, shards, 600, 3);
  }

  /** AdaGrad at 0.2, which reaches this data's optimum in about 3 s (0.05 took 18 s). */
  private static TrainingSpec spec(int workers, int shards, double lifetimeSeconds, int maxFailures) {
    return new TrainingSpec(workers, shards, 512, Optimizer.ADAGRAD, 0.2f, 20, 0f, 1e-4, 6, 120, 200, 0, 4, 7, false,
        lifetimeSeconds, maxFailures);
  }

  private TrainResult train(TrainingSpec spec, WorkerLauncher workers, Consumer<TrainingDriver> during, Dataset data)
      throws Exception {
    return train(spec, workers, during, data, false);
  }

  private TrainResult train(TrainingSpec spec, WorkerLauncher workers, Consumer<TrainingDriver> during, Dataset data,
      boolean tls) throws Exception {
    try (Shards shards = Shards.inProcess(spec.psShards(), tls);
        TrainingDriver job =
            new TrainingDriver(spec, store, store.reachableSpec(), data, validationRows.toArray(new SparseRow[0]), shards,
                workers, System.out::println)) {
      if (during != null) {
        Thread chaos = new Thread(() -> during.accept(job));
        chaos.setDaemon(true);
        chaos.start();
      }
      return job.run(S3Path.parse("s3://training/models/m-" + System.nanoTime()));
    }
  }

  private TrainResult train(TrainingSpec spec, Consumer<TrainingDriver> during) throws Exception {
    return train(spec, new ThreadWorkers(512), during, train);
  }

  private static void assertMeetsTheBar(TrainResult result) {
    double loss = result.validationMetrics().loss();
    System.out.printf(
        "validation logloss %.5f (liblinear optimum %.5f, ratio %.4f), %s after %.1f s, %d updates, %d generations%n",
        loss, optimum, loss / optimum, result.stopReason(), result.curve().get(result.curve().size() - 1).seconds(),
        result.updates(), result.workerGenerations());
    assertTrue(
        loss <= optimum * BAR,
        "validation logloss " + loss + " is not within 2% of liblinear's optimum " + optimum + " (" + result.stopReason() + ")");
  }

  /**
   * Trains {@code spec}, whose worker count the driver chooses, on {@code workers} against one shard until the count is
   * decided (it settles, or a doubling is taken back) and 2 s more, so that the workers taken back end before it does;
   * {@code during} (unless null) runs beside it.
   */
  private TrainResult trainUntilTheCountIsDecided(TrainingSpec spec, WorkerLauncher workers,
      Consumer<TrainingDriver> during) throws Exception {
    try (Shards shards = Shards.inProcess(1)) {
      TrainingDriver[] job = new TrainingDriver[1];
      job[0] = new TrainingDriver(spec, store, store.reachableSpec(), train, validationRows.toArray(new SparseRow[0]),
          shards, workers, line -> {
            System.out.println(line);
            if (line.matches(".*workers (settle at \\d+|\\d+ -> \\d+): .*")) {
              CompletableFuture.runAsync(() -> job[0].stop(StopReason.TIMEOUT), // as if its time were up
                  CompletableFuture.delayedExecutor(2, TimeUnit.SECONDS));
            }
          });
      try (TrainingDriver driver = job[0]) {
        if (during != null) {
          Thread beside = new Thread(() -> during.accept(driver));
          beside.setDaemon(true);
          beside.start();
        }
        return driver.run(S3Path.parse("s3://training/models/m-" + System.nanoTime()));
      }
    }
  }

  /** What kills worker {@code w}'s generation once it has recorded a position past its start. */
  private static Consumer<TrainingDriver> killedOnceItProgressed(int w) {
    return job -> {
      try {
        awaitProgress(job, w);
      } catch (Exception e) {
        return;
      }
      job.killWorker(w);
    };
  }

  /** Waits until worker {@code w} has recorded a position past its start (at most a minute). */
  static void awaitProgress(TrainingDriver job, int w) throws Exception {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline) {
      Position recorded = job.recordedPosition(w);
      if (recorded != null && recorded.compareTo(Position.START) > 0) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("worker " + w + " recorded no position past its start in a minute");
  }

  /**
   * Where the spec sets no memory, an SGD training's workers launch at the smallest size offered from one vCPU's up on
   * a service whose CPU grows with memory, as AWS Lambda's does; where it sets one not offered, the driver refuses
   * it, naming the sizes (one offered is kept: {@code WorkerMemoryTest}, and LambdaRunner's variant in
   * {@code LogisticRegressionOnWorkersTest}).
   */
  @Test
  void theDriverChoosesTheWorkersMemoryWhereTheSpecSetsNone() throws Exception {
    List<Integer> sizes = List.of(512, 1024, 2048);
    TrainResult chosen = train(spec(2, 1).withWorkerMemoryMb(TrainingSpec.AUTO_MEMORY), offeredAt(sizes), null, train);
    assertMeetsTheBar(chosen);
    assertTrue(chosen.generations().stream().allMatch(g -> g.memoryMb() == 2048), chosen.generations().toString());
    List<ScalingDecision> onMemory = chosen.scaling().stream()
        .filter(d -> d.resource() == ScalingDecision.Resource.MEMORY).toList();
    assertEquals(1, onMemory.size(), onMemory.toString());
    assertEquals(2048, onMemory.get(0).to());
    assertTrue(onMemory.get(0).reason().contains("from 1769 MB up"), onMemory.get(0).reason());


    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> train(spec(2, 1).withWorkerMemoryMb(3008), offeredAt(sizes), null, train));
    assertTrue(refused.getMessage().contains("workerMemoryMb=3008 is not a size the workers are offered at:"
        + " [512, 1024, 2048] MB"), refused.getMessage());
  }

  /**
   * A worker process whose heap runs out (the smallest size offered, too small for what a worker holds besides its
   * prefetching) dies saying so; its successor and every generation after start at the next size, and the training
   * meets the bar.
   */
  @Test
  void aGenerationOutOfMemoryHasItsSuccessorsStartAtTheNextSize() throws Exception {
    int tooSmall = OUT_OF_MEMORY_MB;
    TrainResult result = train(spec(2, 1).withWorkerMemoryMb(TrainingSpec.AUTO_MEMORY),
        new ProcessWorkers(List.of(tooSmall, 256)), null, train);
    assertMeetsTheBar(result);
    List<ScalingDecision> onMemory = result.scaling().stream()
        .filter(d -> d.resource() == ScalingDecision.Resource.MEMORY).toList();
    assertEquals(tooSmall, onMemory.get(0).to(), onMemory.toString());
    ScalingDecision raised = onMemory.get(1);
    assertEquals(tooSmall, raised.from(), raised.describe());
    assertEquals(256, raised.to(), raised.describe());
    assertTrue(raised.reason().startsWith("a generation ran out of memory at " + tooSmall + " MB"), raised.reason());
    assertEquals(2, onMemory.size(), "raised once, by the first death: " + onMemory);
    List<GenerationRecord> died = result.generations().stream()
        .filter(g -> g.ending() == GenerationRecord.Ending.DIED).toList();
    assertFalse(died.isEmpty());
    assertTrue(died.stream().allMatch(g -> g.memoryMb() == tooSmall && g.error().contains("OutOfMemoryError")),
        died.toString());
    assertTrue(result.generations().stream().filter(g -> g.ending() != GenerationRecord.Ending.DIED)
        .allMatch(g -> g.memoryMb() == 256), result.generations().toString());
  }

  /** Worker threads offered at {@code sizes}, on a service whose CPU grows with memory, as AWS Lambda's does. */
  private static WorkerLauncher offeredAt(List<Integer> sizes) {
    return new ForwardingLauncher(new ThreadWorkers(sizes.get(0))) {
      @Override
      public List<Integer> memorySizesMb() {
        return sizes;
      }

      @Override
      public boolean cpuGrowsWithMemory() {
        return true;
      }
    };
  }


  /**
   * A cost cap stops the training once its workers cost it, at AWS Lambda's prices for their memory and time, long
   * before it would have converged; the model written is the best seen, a trained one.
   */
  @Test
  void aCostCapStopsTheTrainingWithTheBestModelSoFar() throws Exception {
    TrainingSpec uncapped = spec(2, 1);
    double cap = 0.00002; // two workers of 512 MB: about 1.2 s
    TrainingSpec capped = new TrainingSpec(uncapped.workers(), uncapped.psShards(), uncapped.workerMemoryMb(),
        uncapped.optimizer(), uncapped.learningRate(), uncapped.minibatchSize(), uncapped.l2(), uncapped.epsilon(),
        uncapped.window(), uncapped.timeoutSeconds(), uncapped.evalIntervalMillis(), uncapped.epochs(),
        uncapped.maxPushesInFlight(), uncapped.seed(), uncapped.workerProcesses(), uncapped.workerLifetimeSeconds(),
        uncapped.maxWorkerFailures(), uncapped.prefetch(), uncapped.wireValues(), uncapped.objective(), uncapped.l1(),
        uncapped.solver(), cap);
    TrainResult result = train(capped, null);
    assertTrue(result.generations().stream().allMatch(g -> g.memoryMb() == 512), "the workers' one size");
    double cost = Prices.AWS_LAMBDA_X86.lambda(Prices.gbSeconds(result), result.workerGenerations());
    double seconds = result.curve().get(result.curve().size() - 1).seconds();
    System.out.printf("cost cap $%.6f: stopped %s after %.1f s at $%.6f, validation logloss %.5f%n", cap,
        result.stopReason(), seconds, cost, result.validationMetrics().loss());
    assertEquals(StopReason.BUDGET, result.stopReason());
    assertTrue(cost >= cap, "stopped at $" + cost + ", under the cap");
    assertTrue(seconds < 10, "stopped after " + seconds + " s");
    assertTrue(result.validationMetrics().loss() < Math.log(2) * 0.9, "the kept model is a trained one: "
        + result.validationMetrics().loss());
    assertEquals(result.validationMetrics().loss(),
        result.curve().stream().mapToDouble(CurvePoint::validationLoss).min().orElseThrow(), 1e-9,
        "the best model seen");
  }

  @Test
  void oneWorkerReachesTheOptimum() throws Exception {
    TrainResult result = train(spec(1, 1), null);
    assertMeetsTheBar(result);
    assertEquals(StopReason.CONVERGED, result.stopReason());
    assertTrue(result.curve().size() > 3);
    LinearModel saved = LinearModel.fromBytes(store.get(S3Path.parse(result.modelPath())), result.modelPath());
    assertEquals(
        result.validationMetrics().loss(), saved.evaluate(validationRows.toArray(new SparseRow[0])).loss(), 1e-9);
    assertTrue(result.stepTimes().iterations() > 1000);
  }

  /**
   * An SGD training with no worker count set starts one and doubles it while the update rate grows half again, worker
   * threads at most this machine's cores; on two cores it settles at one or two (what counts set by hand show fastest
   * here): two if they pay, else the trial is taken back (the added worker's generation ends stopped, not handed
   * over), the model still meeting the bar. Two paid in some runs here and not in others; beside another module's
   * tests, whose load eased as it went on, four once looked 2.11x as fast as two, which the bound now rules out.
   */
  @Test
  void anSgdTrainingWithNoCountSetDoublesItsWorkersWhileTheyPayAndOnTwoCoresSettlesAtOneOrTwo() throws Exception {
    // epsilon 0 and a timeout of its own: the trial is judged before the model converges
    TrainingSpec spec = new TrainingSpec(TrainingSpec.AUTO_WORKERS, 1, 512, Optimizer.ADAGRAD, 0.05f, 20, 0f, 0, 6, 30,
        200, 0, 4, 7, false, 600, 3);
    TrainResult result;
    try (ThreadWorkers workers = new ThreadWorkers(512)) {
      result = trainUntilTheCountIsDecided(spec, workers, null);
    }
    List<ScalingDecision> decisions = result.scaling();
    decisions.forEach(decision -> System.out.println(decision.describe()));
    assertTrue(decisions.size() >= 2, "a trial and its outcome: " + decisions);
    assertEquals(1, decisions.get(0).from());
    assertEquals(2, decisions.get(0).to(), decisions.get(0).reason());
    ScalingDecision outcome = decisions.get(decisions.size() - 1);
    assertTrue(outcome.from() == 2 && (outcome.to() == 1 && outcome.reason().contains("short of 1.5x")
        || outcome.to() == 2 && outcome.reason().contains("2 is the most")), outcome.describe());
    assertTrue(result.keptWorkers() <= 2, "kept " + result.keptWorkers());
    for (int w = outcome.to(); w < outcome.from(); w++) {
      List<GenerationRecord> added = result.generationsOf(w);
      assertEquals(1, added.size(), "worker " + w + " ran once: " + added);
      assertEquals(GenerationRecord.Ending.STOPPED, added.get(0).ending());
      assertTrue(added.get(0).endedAt() < result.curve().get(result.curve().size() - 1).seconds() - 1,
          "taken away before the training ended: " + added.get(0));
    }
    assertMeetsTheBar(result);
  }

  /**
   * Where each worker has a core of its own (a simulated service, {@link OwnCoreClock}: a minibatch takes 2 ms more
   * there than its computing does here, so a worker makes at most 500 updates a second), the same training doubles its
   * workers to eight and more, each doubling paying, until the updates no longer grow (the shard or this machine's
   * cores saturate) or it reaches the most it may run. Each decision says how busy the shard's loops were, and a
   * count taken back says whether the shard was what stopped it. A worker of the trial of four is killed; its
   * successor takes over and the trial is still kept.
   */
  @Test
  void anSgdTrainingWithNoCountSetScalesOutToEightOrMoreWhereEachWorkerHasACore() throws Exception {
    TrainingSpec spec = new TrainingSpec(TrainingSpec.AUTO_WORKERS, 1, 512, Optimizer.ADAGRAD, 0.05f, 20, 0f, 0, 6, 90,
        200, 0, 4, 7, false, 600, 3);
    TrainResult result;
    try (ThreadWorkers workers = new ThreadWorkers(512, new OwnCoreClock(0.002 / spec.minibatchSize()))) {
      result = trainUntilTheCountIsDecided(spec, workers, killedOnceItProgressed(3));
    }
    List<ScalingDecision> decisions = result.scaling();
    decisions.forEach(decision -> System.out.println(decision.describe()));
    assertTrue(result.keptWorkers() >= 8, "kept " + result.keptWorkers() + ": " + decisions);
    for (ScalingDecision decision : decisions) {
      if (decision.to() > decision.from()) {
        assertEquals(decision.from() * 2, decision.to(), "doubled: " + decision.describe());
      }
    }
    ScalingDecision last = decisions.get(decisions.size() - 1);
    assertTrue(last.reason().contains("short of 1.5x") || last.reason().contains("is the most"), last.describe());
    for (ScalingDecision decision : decisions) {
      assertTrue(decision.reason().matches(".*shard 0's loops \\d+% busy.*"), decision.describe());
    }
    if (last.to() < last.from()) {
      assertTrue(last.reason().contains("not the shards") || last.reason().contains("the shards saturate"),
          last.describe());
    }
    List<GenerationRecord> killed = result.generationsOf(3);
    assertEquals(GenerationRecord.Ending.DIED, killed.get(0).ending(), "the kill: " + killed);
    assertTrue(killed.size() >= 2, "and its successor: " + killed);
  }

  /**
   * An epsilon of 0 never stops the training, yet its penalty is still chosen on the validation rows: the path goes
   * from C = 0.01 to weaker penalties while they find a better model, and the training then stays at the best one until
   * its time is up, rather than at C = 1 as a training that never converges once did.
   */
  @Test
  void anEpsilonOfZeroGoesAlongThePenaltyPathThenTrainsOnAtTheBestPenaltyUntilTheTimeout() throws Exception {
    // few rows, so a strong penalty is best and the path ends past it soon
    PlantedData few = new PlantedData(FEATURES, 4_000, 4_000, 99);
    Dataset fewRows = DatasetWriter.write(store, S3Path.parse("s3://training/planted/few"), few.train,
        DatasetManifest.template(FEATURES, List.of(), "planted", null), 1_000);
    Liblinear.Optimum solver = Liblinear.bestOf(few.train, few.test, 0.01, 0.1, 1, 10);
    TrainingSpec spec = new TrainingSpec(2, 1, 512, Optimizer.ADAGRAD, 0.05f, 20, Float.NaN, 0, 6, 12, 100, 0, 4, 7,
        false, 600, 3);
    List<String> lines = Collections.synchronizedList(new ArrayList<>());
    TrainResult result;
    try (Shards shards = Shards.inProcess(1);
        TrainingDriver job = new TrainingDriver(spec, store, store.reachableSpec(), fewRows,
            few.test.toArray(new SparseRow[0]), shards, new ThreadWorkers(512), line -> {
              System.out.println(line);
              lines.add(line);
            })) {
      result = job.run(S3Path.parse("s3://training/models/never-stops"));
    }
    assertEquals(StopReason.TIMEOUT, result.stopReason());
    double loss = result.validationMetrics().loss();
    assertTrue(loss <= solver.test().loss() * BAR, "logloss " + loss + " against liblinear's " + solver.test().loss()
        + " at its best C = " + solver.c());
    List<String> penalties = lines.stream().filter(line -> line.contains("  penalty l2 ")).toList();
    assertTrue(penalties.size() >= 3, "the path went on from C = 0.01 and ended: " + penalties);
    String kept = lines.stream().filter(line -> line.startsWith("stopped: ")).findFirst().orElseThrow();
    String keptL2 = kept.substring(kept.lastIndexOf("(l2 ") + 4, kept.lastIndexOf(')'));
    String last = penalties.get(penalties.size() - 1);
    assertTrue(last.contains("penalty l2 " + keptL2 + " "), "trained on at the kept model's penalty " + keptL2
        + " until the timeout: " + penalties);
  }

  /**
   * An L1 penalty gives a sparse model: at liblinear's {@code C = 0.01}, as good on the held-out rows as its L1 solver
   * ({@code -s 6}) at the same C, and as sparse within a factor of two, where the planted model uses every feature
   * (the mean of plateau reads, which would not be sparse, is not offered).
   */
  @Test
  void anL1PenaltyTrainsASparseModelAsGoodAsLiblinearsL1Solver() throws Exception {
    double c = 0.01;
    Liblinear.Optimum solver = Liblinear.l1LogisticBestOf(planted.train, validationRows, c);
    float l1 = (float) (1 / (c * planted.train.size()));
    TrainingSpec base = spec(2, 1);
    TrainingSpec spec = new TrainingSpec(base.workers(), base.psShards(), base.workerMemoryMb(), base.optimizer(),
        base.learningRate(), base.minibatchSize(), Float.NaN, base.epsilon(), base.window(), base.timeoutSeconds(),
        base.evalIntervalMillis(), base.epochs(), base.maxPushesInFlight(), base.seed(), false,
        base.workerLifetimeSeconds(), base.maxWorkerFailures(), true, null, null, l1);
    TrainResult result = train(spec, null);
    LinearModel kept = LinearModel.fromBytes(store.get(S3Path.parse(result.modelPath())), result.modelPath());
    int ours = nonZeros(kept.weights());
    int theirs = nonZeros(solver.model().weights());
    double loss = result.validationMetrics().loss();
    System.out.printf("L1 at C = %s: logloss %.5f against liblinear -s 6's %.5f (ratio %.4f); non-zero weights %d"
        + " against %d of %d%n", c, loss, solver.test().loss(), loss / solver.test().loss(), ours, theirs,
        FEATURES + 1);
    assertTrue(loss <= solver.test().loss() * BAR, "logloss " + loss + " against liblinear -s 6's "
        + solver.test().loss());
    assertTrue(theirs < FEATURES / 2, "the solver's model is sparse at this C: " + theirs + " non-zero weights");
    assertTrue(ours <= 2 * theirs && 2 * ours >= theirs, ours + " non-zero weights against liblinear's " + theirs);
  }

  private static int nonZeros(float[] weights) {
    int count = 0;
    for (float w : weights) {
      count += w != 0 ? 1 : 0;
    }
    return count;
  }

  /**
   * Generations of a 0.5 s lifetime hand over, each successor starting where its predecessor returned; and a worker
   * killed mid-generation is replaced from the position it last recorded. One training shows both: it lasts at least
   * the monitor's window (six evaluations 200 ms apart), so each worker runs three generations or more (at a 1 s
   * lifetime, a training that converged after 2.07 s left one worker two).
   */
  @Test
  void generationsHandOverAtTheirLifetimeAndAKilledOneIsReplacedWhereItRecorded() throws Exception {
    TrainResult result = train(spec(2, 1, 0.5, 3), killedOnceItProgressed(0));
    assertMeetsTheBar(result);
    List<GenerationRecord> died =
        result.generations().stream().filter(g -> g.ending() == GenerationRecord.Ending.DIED).toList();
    assertEquals(1, died.size(), "the killed generation alone died: " + result.generations());
    assertEquals(0, died.get(0).worker());
    for (int w = 0; w < 2; w++) {
      List<GenerationRecord> generations = result.generationsOf(w);
      assertTrue(generations.size() >= 3, "worker " + w + " generations " + generations);
      for (int g = 1; g < generations.size(); g++) {
        GenerationRecord before = generations.get(g - 1);
        GenerationRecord after = generations.get(g);
        if (!before.equals(died.get(0))) {
          assertEquals(GenerationRecord.Ending.HANDED_OVER, before.ending());
        }
        assertEquals(before.end(), after.start(), "a successor starts where its predecessor returned or recorded");
        assertTrue(after.start().compareTo(before.start()) >= 0, "positions never go back: " + generations);
      }
    }
  }

  /**
   * While a dead worker's successor starts (4 s here, as a cold JVM or Lambda environment may take), the other worker's
   * loss flattens on its own partitions alone. The monitor takes that for no plateau of the training: it waits for the
   * successor, whose partitions then improve the model past anything seen without them.
   */
  @Test
  void aSuccessorStartingSlowlyIsWaitedForNotTakenForConvergence() throws Exception {
    int delaySeconds = 4;
    ThreadWorkers threads = new ThreadWorkers(512);
    WorkerLauncher slowSuccessors = new ForwardingLauncher(threads) {
      @Override
      public Running launch(WorkerTask task, int memoryMb) {
        if (task.generation() == 1) {
          return threads.launch(task, memoryMb);
        }
        CompletableFuture<WorkerTask.WorkerOutcome> outcome =
            CompletableFuture.runAsync(() -> {}, CompletableFuture.delayedExecutor(delaySeconds, TimeUnit.SECONDS))
                .thenCompose(started -> threads.launch(task, memoryMb).outcome());
        return new Running(outcome, () -> outcome.completeExceptionally(new IllegalStateException("killed")));
      }
    };
    TrainResult result =
        train(spec(2, 1), slowSuccessors, killedOnceItProgressed(1), train);
    System.out.printf("validation logloss %.5f (liblinear optimum %.5f, ratio %.4f), %s%n",
        result.validationMetrics().loss(), optimum, result.validationMetrics().loss() / optimum, result.stopReason());
    assertEquals(StopReason.CONVERGED, result.stopReason());
    List<GenerationRecord> worker1 = result.generationsOf(1);
    assertEquals(GenerationRecord.Ending.DIED, worker1.get(0).ending());
    GenerationRecord successor = worker1.get(1);
    assertTrue(successor.end().compareTo(successor.start()) > 0, "the successor trained: " + successor);
    double startedAt = successor.launchedAt() + delaySeconds;
    double bestWithoutIt = result.curve().stream().filter(point -> point.seconds() < startedAt)
        .mapToDouble(CurvePoint::validationLoss).min().orElseThrow();
    assertTrue(result.validationMetrics().loss() < bestWithoutIt,
        "kept " + result.validationMetrics().loss() + ", no better than " + bestWithoutIt + " before the successor");
  }

  @Test
  void aWorkerThatAlwaysFailsFailsTheJobAfterTheCapWithItsError() throws Exception {
    // A manifest naming a partition object that is not in the store: every generation fails reading it.
    Dataset broken =
        new Dataset(train.location() + "-missing", train.manifest());
    TrainingFailedException failure =
        assertThrows(
            TrainingFailedException.class, () -> train(spec(1, 1, 600, 2), new ThreadWorkers(512), null, broken));
    assertTrue(failure.getMessage().startsWith("worker 0 failed 3 times, more than maxWorkerFailures=2"),
        failure.getMessage());
    assertTrue(failure.getMessage().contains("-missing"), failure.getMessage());
  }

  /** Resuming fails, naming where it looked, rather than starting from scratch unannounced. */
  @Test
  void resumingATrainingThatLeftNoSnapshotFailsNamingTheLocation() throws Exception {
    S3Path checkpoint = S3Path.parse("s3://training/checkpoints/never-" + System.nanoTime() + "/");
    try (Shards shards = Shards.processes(1, "128m", false, checkpoint, store.reachableSpec(), 1)) {
      try (TrainingDriver job = new TrainingDriver(spec(1, 1), store, store.reachableSpec(), train,
          validationRows.toArray(new SparseRow[0]), shards, new ThreadWorkers(512), System.out::println)
          .resumingFromSnapshots()) {
        CannotResumeException e = assertThrows(CannotResumeException.class,
            () -> job.run(S3Path.parse("s3://training/models/never")));
        assertTrue(e.getMessage().contains(ResumePoint.at(checkpoint).toString()), e.getMessage());
      }
      // a resume point whose model's snapshots are gone
      store.put(ResumePoint.at(checkpoint), new ResumePoint("gone", List.of(new Position(0, 3, 0)), Float.NaN, List.of()).encode());
      try (TrainingDriver job = new TrainingDriver(spec(1, 1), store, store.reachableSpec(), train,
          validationRows.toArray(new SparseRow[0]), shards, new ThreadWorkers(512), System.out::println)
          .resumingFromSnapshots()) {
        CannotResumeException e = assertThrows(CannotResumeException.class,
            () -> job.run(S3Path.parse("s3://training/models/never")));
        assertTrue(e.getMessage().contains("restored no progress of model 'gone' from the snapshots in " + checkpoint),
            e.getMessage());
      }
    }
    try (Shards shards = Shards.inProcess(1);
        TrainingDriver job = new TrainingDriver(spec(1, 1), store, store.reachableSpec(), train,
            validationRows.toArray(new SparseRow[0]), shards, new ThreadWorkers(512), System.out::println)
            .resumingFromSnapshots()) {
      CannotResumeException e = assertThrows(CannotResumeException.class,
          () -> job.run(S3Path.parse("s3://training/models/never")));
      assertTrue(e.getMessage().contains("no checkpoint location"), e.getMessage());
    }
  }

  /** Over TLS: each process gets the shards' certificate in its task, as a Lambda invocation does. */
  @Test
  void workerProcessesOf128MbOnTlsShardsSurviveAKillAndMeetTheBar() throws Exception {
    // the killed JVM's successor starts cold, seconds after the other worker trains: the monitor waits for it
    TrainResult result =
        train(spec(2, 1).withWorkerMemoryMb(128), new ProcessWorkers(128), killedOnceItProgressed(1), train,
            true);
    assertMeetsTheBar(result);
    assertTrue(result.workerGenerations() >= 3, "generations " + result.workerGenerations());
    assertTrue(result.stepTimes().iterations() > 1000, "iterations " + result.stepTimes().iterations());
    GenerationRecord died = result.generationsOf(1).get(0);
    assertEquals(GenerationRecord.Ending.DIED, died.ending());
    assertTrue(died.end().compareTo(Position.START) > 0, "the dead worker had recorded progress: " + died);
    assertEquals(died.end(), result.generationsOf(1).get(1).start(), "its successor resumed where it recorded");
  }
}
