package dev.stratus.dsl;

import static dev.stratus.dsl.LambdaTrainingSetup.FUNCTION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.jobs.train.GenerationRecord;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.jobs.train.WorkerCheckpoints;
import dev.stratus.jobs.train.WorkerMessages;
import dev.stratus.jobs.train.WorkerTask;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.generate.CriteoGenerator;
import dev.stratus.kernels.sgd.LogisticModel;
import dev.stratus.lambda.local.BusyInvocation;
import dev.stratus.runner.lambda.LambdaRunner;
import dev.stratus.runner.lambda.message.InvocationPayloads;
import dev.stratus.runner.lambda.message.Messages;
import dev.stratus.runner.lambda.message.Op;
import dev.stratus.runner.lambda.message.StagePlan;
import dev.stratus.runner.lambda.message.TaskDescriptor;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.s3.model.Bucket;

/**
 * Training on LambdaRunner as a user runs it: the local Lambda service with process environments (JVMs running the
 * AWS runtime interface client), parameter-server shards as processes, workers as invocations; held to the optimum
 * liblinear finds on the same split, through hand-overs, killed environments and a worker that cannot work.
 */
@Timeout(600)
class LogisticRegressionOnWorkersTest {
  private static final String ROOT = "s3://tests/on-workers";
  /** Within 2% of the exact solver's test logloss. */
  private static final double BAR = 1.02;
  /** The main class of a shard process. */
  private static final String PS_SERVER = "dev.stratus.ps.server.PsServer";

  static LambdaTrainingSetup setup;

  @BeforeAll
  static void startLambdaAndWriteData() {
    setup = LambdaTrainingSetup.start(ROOT, 16);
  }

  @AfterAll
  static void stopLambda() {
    setup.close();
  }

  private static LogisticRegression baseTraining(Pipeline p) {
    return LogisticRegression.withValidationSet(p.apply("Validation", ReadDataset.from(ROOT + "/validation")))
        .learningRate(0.05f)
        .l2(0f)
        .epsilon(1e-4)
        .window(6)
        .evalInterval(Duration.ofMillis(250))
        .timeout(Duration.ofSeconds(150));
  }

  /** Trains on LambdaRunner and returns the result the driver produced, saved to the store by a downstream DoFn. */
  private static TrainResult train(String trainLocation, UnaryOperator<LogisticRegression> configure, String name) {
    return train(setup.options(), trainLocation, configure, name);
  }

  private static TrainResult train(LambdaTrainingSetup.StoreOptionsAndRunner options, String trainLocation,
      UnaryOperator<LogisticRegression> configure, String name) {
    Pipeline p = Pipeline.create(options);
    String model = ROOT + "/models/" + name + ".bin";
    String saved = ROOT + "/results/" + name;
    PCollection<TrainResult> result =
        p.apply("Train", ReadDataset.from(trainLocation)).apply(configure.apply(baseTraining(p)).modelTo(model));
    result.apply(ParDo.of(new SaveResult(saved)));
    p.run().waitUntilFinish();
    return (TrainResult)
        SerializableUtils.deserializeFromByteArray(DataTesting.store().get(S3Path.parse(saved)), "train result");
  }

  private static double testLoss(TrainResult result) {
    LogisticModel model =
        LogisticModel.fromBytes(DataTesting.store().get(S3Path.parse(result.modelPath())), result.modelPath());
    double loss = model.evaluate(setup.testRows()).logloss();
    System.out.printf("test logloss %.5f (liblinear optimum %.5f, ratio %.4f), %s, %,d updates, %d generations%n",
        loss, setup.optimum(), loss / setup.optimum(), result.stopReason(), result.updates(),
        result.workerGenerations());
    return loss;
  }

  @Test
  void fourLambdaWorkersComeWithinTwoPercentOfTheOptimum() {
    long invocationsBefore = setup.lambda().stats(FUNCTION).invocations();
    TrainResult result = train(ROOT + "/train", lr -> lr.workers(4).psShards(2), "four");
    assertTrue(testLoss(result) <= setup.optimum() * BAR, "not within 2% of liblinear's optimum " + setup.optimum());
    assertTrue(result.generations().stream().map(GenerationRecord::worker).distinct().count() == 4,
        "four workers ran: " + result.generations());
    long invocations = setup.lambda().stats(FUNCTION).invocations() - invocationsBefore;
    assertTrue(invocations >= result.workerGenerations() + 2,
        "the local service counted " + invocations + " invocations for " + result.workerGenerations()
            + " worker generations and the pipeline's tasks");
  }

  @Test
  void noSecretIsOnAChildProcesssCommandLineOrInAnyObjectTheJobWrote() throws Exception {
    String storeSecret = DataTesting.store().reachableSpec().secretKey();
    Set<String> before = allObjects();
    // every command line seen, by process: a process read between its fork and its exec shows its parent's first
    Map<Long, Set<String>> commandLines = new ConcurrentHashMap<>();
    Set<String> psTokens = ConcurrentHashMap.newKeySet();
    AtomicBoolean running = new AtomicBoolean(true);
    Thread watcher = new Thread(() -> {
      while (running.get()) {
        ProcessHandle.current().descendants().forEach(child -> {
          String commandLine = procFile(child.pid(), "cmdline").replace('\0', ' ');
          if (!commandLine.isBlank()) {
            commandLines.computeIfAbsent(child.pid(), pid -> ConcurrentHashMap.newKeySet()).add(commandLine);
          }
          if (commandLine.contains("dev.stratus.ps.server.PsServer")) {
            for (String variable : procFile(child.pid(), "environ").split("\0")) {
              if (variable.startsWith("STRATUS_PS_TOKEN=")) {
                psTokens.add(variable.substring("STRATUS_PS_TOKEN=".length()));
              }
            }
          }
        });
        sleep(50);
      }
    }, "watch-command-lines");
    watcher.start();
    LambdaTrainingSetup.StoreOptionsAndRunner options = setup.options();
    options.setKeepIntermediateData(true);
    try {
      train(options, ROOT + "/train", lr -> lr.workers(2).psShards(2), "secrets");
    } finally {
      running.set(false);
      watcher.join();
    }

    assertTrue(commandLines.values().stream().anyMatch(lines -> lines.stream().anyMatch(c -> c.contains("AWSLambda"))),
        "an environment process was seen: " + commandLines.values());
    assertTrue(commandLines.values().stream()
            .filter(lines -> lines.stream().anyMatch(c -> c.contains("dev.stratus.ps.server.PsServer"))).count() >= 2,
        "both shard processes were seen: " + commandLines.values());
    assertFalse(psTokens.isEmpty(), "the shards' token was seen in their environment");
    List<String> secrets = new ArrayList<>(psTokens);
    secrets.add(storeSecret);
    for (String commandLine : commandLines.values().stream().flatMap(Set::stream).toList()) {
      for (String secret : secrets) {
        assertFalse(commandLine.contains(secret), "a secret on the command line " + commandLine);
      }
    }
    Set<String> written = allObjects();
    written.removeAll(before);
    assertTrue(written.stream().anyMatch(key -> key.contains("/plan")), "the job's stage plans were kept: " + written);
    for (String key : written) {
      String content = new String(DataTesting.store().get(S3Path.parse(key)), StandardCharsets.ISO_8859_1);
      for (String secret : secrets) {
        assertFalse(content.contains(secret), "a secret in the stored object " + key);
      }
    }
  }

  /** Every object of every bucket of the store, as s3:// paths. */
  private static Set<String> allObjects() {
    Set<String> keys = new HashSet<>();
    for (Bucket bucket : DataTesting.store().client().listBuckets().buckets()) {
      DataTesting.store().list(new S3Path(bucket.name(), "")).forEach(object -> keys.add(object.path().toString()));
    }
    return keys;
  }

  /** A file of /proc/PID, empty once the process is gone. */
  private static String procFile(long pid, String name) {
    try {
      return new String(java.nio.file.Files.readAllBytes(Path.of("/proc", String.valueOf(pid), name)),
          StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  @Test
  void workersHandOverAtTheirLifetimeAndResumeWhereTheyStopped() {
    TrainResult result =
        train(ROOT + "/train", lr -> lr.workers(2).workerLifetime(Duration.ofSeconds(2)), "lifetime");
    assertTrue(testLoss(result) <= setup.optimum() * BAR, "not within 2% of liblinear's optimum " + setup.optimum());
    for (int w = 0; w < 2; w++) {
      List<GenerationRecord> generations = result.generationsOf(w);
      assertTrue(generations.size() >= 3, "worker " + w + ": " + generations);
      for (int g = 1; g < generations.size(); g++) {
        GenerationRecord before = generations.get(g - 1);
        GenerationRecord after = generations.get(g);
        assertEquals(GenerationRecord.Ending.HANDED_OVER, before.ending(), before.toString());
        assertEquals(before.end(), after.start(), "a successor starts where its predecessor returned");
        assertTrue(after.start().compareTo(before.start()) > 0, "positions advance: " + generations);
      }
    }
  }

  @Test
  void aKilledEnvironmentIsRegeneratedFromItsRecordedPosition() {
    long errorsBefore = setup.lambda().stats(FUNCTION).errors();
    EnvironmentKill kill = new EnvironmentKill(
        "running an SGD worker generation that has recorded a position past its start",
        LogisticRegressionOnWorkersTest::workerPastItsStart);
    TrainResult result = train(ROOT + "/train", lr -> lr.workers(2), "killed");
    WorkerTask killed = workerTask(kill.victim()).orElseThrow();
    assertTrue(testLoss(result) <= setup.optimum() * BAR, "not within 2% of liblinear's optimum " + setup.optimum());
    GenerationRecord died =
        result.generations().stream()
            .filter(g -> g.worker() == killed.workerId() && g.generation() == killed.generation())
            .findFirst()
            .orElseThrow(() -> new AssertionError("no record of the killed generation: " + result.generations()));
    System.out.println("killed " + kill.victim() + "; the dead generation: " + died);
    assertEquals(GenerationRecord.Ending.DIED, died.ending(), died.toString());
    assertTrue(died.end().compareTo(died.start()) > 0, "the dead generation's recorded end is past its start: " + died);
    List<GenerationRecord> ofThatWorker = result.generationsOf(died.worker());
    GenerationRecord successor = ofThatWorker.get(ofThatWorker.indexOf(died) + 1);
    assertEquals(died.end(), successor.start(), "the successor starts at the dead worker's recorded position");
    assertTrue(died.error().contains("Runtime.ExitError") || died.error().contains("exited"), died.error());
    assertTrue(setup.lambda().stats(FUNCTION).errors() > errorsBefore, "the service counted the crash");
  }

  /** Whether {@code invocation} runs an SGD worker generation whose log says it recorded a position past its start. */
  private static boolean workerPastItsStart(BusyInvocation invocation) {
    return workerTask(invocation)
        .map(task -> invocation.log().contains(WorkerCheckpoints.pastStartLine(task.workerId(), task.generation())))
        .orElse(false);
  }

  /** The worker generation {@code invocation} runs, if it is a call of the SGD entry point rather than a task. */
  private static Optional<WorkerTask> workerTask(BusyInvocation invocation) {
    InvocationPayloads.EntryPointCall call = InvocationPayloads.EntryPointCall.fromJsonOrNull(invocation.payload());
    return call != null && call.entryPoint().equals(SgdEntryPoint.NAME)
        ? Optional.of(WorkerMessages.task(call.request()))
        : Optional.empty();
  }

  /** --resumeTraining reaches the driver on LambdaRunner, which looks beside the model and says where. */
  @Test
  void resumingATrainingThatLeftNoResumePointFailsNamingWhereItLooked() {
    LambdaTrainingSetup.StoreOptionsAndRunner options = setup.options();
    options.setResumeTraining(true);
    RuntimeException failure = assertThrows(
        RuntimeException.class, () -> train(options, ROOT + "/train", lr -> lr.workers(1), "never-trained"));
    String message = rootMessage(failure);
    assertTrue(message.contains(ROOT + "/models/never-trained.bin.shards/resume-point"), message);
  }

  @Test
  void aWorkerThatAlwaysFailsFailsTheJobWithItsErrorAndLeavesNoShardRunning() {
    // A manifest whose partitions are not in the store: every generation fails reading them.
    DataTesting.store()
        .put(S3Path.parse(ROOT + "/broken/manifest.json"),
            DataTesting.store().get(S3Path.parse(ROOT + "/train/manifest.json")));
    RuntimeException failure =
        assertThrows(
            RuntimeException.class,
            () -> train(ROOT + "/broken", lr -> lr.workers(1).maxWorkerFailures(1), "broken"));
    String message = rootMessage(failure);
    assertTrue(message.startsWith("worker 0 failed 2 times, more than maxWorkerFailures=1"), message);
    assertTrue(message.contains("missing"), message);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (shardProcesses() > 0 && System.nanoTime() < deadline) {
      sleep(100);
    }
    assertEquals(0, shardProcesses(), "parameter-server shard processes still running");
  }

  @Test
  void aPreprocessingTaskWhoseEnvironmentIsKilledLeavesTheSameDataset() throws Exception {
    Path tsv = DataTesting.file("on-workers/criteo.tsv", "");
    CriteoGenerator.withSeed(11).writeTsv(tsv, 60_000);
    Pipeline direct = DataTesting.pipeline();
    direct.apply(LoadCriteo.from(tsv.toString()).modelBits(14).bytesPerTask(1 << 20).to(ROOT + "/criteo-direct"));
    direct.run().waitUntilFinish();

    long errorsBefore = setup.lambda().stats(FUNCTION).errors();
    PartitionWriter parseTask = new PartitionWriter(ROOT + "/criteo-lambda");
    EnvironmentKill kill = new EnvironmentKill("running a Parse task that has written a partition", parseTask);
    LambdaTrainingSetup.StoreOptionsAndRunner options = setup.options();
    // One task at a time: a partition that appears while the Parse task runs is that task's.
    options.setMaxConcurrency(1);
    Pipeline onLambda = Pipeline.create(options);
    onLambda.apply(LoadCriteo.from(tsv.toString()).modelBits(14).bytesPerTask(1 << 20).to(ROOT + "/criteo-lambda"));
    onLambda.run().waitUntilFinish();
    Set<String> killedTasksPartitions = parseTask.writtenBy(kill.victim());
    System.out.println("killed " + kill.victim() + " after it wrote " + killedTasksPartitions);
    assertTrue(setup.lambda().stats(FUNCTION).errors() > errorsBefore, "the service counted the crash");
    Set<String> committed = new HashSet<>();
    DataTesting.dataset(ROOT + "/criteo-lambda").manifest().partitions().forEach(p -> committed.add(p.name()));
    assertTrue(Collections.disjoint(committed, killedTasksPartitions),
        "the killed attempt's partitions are no part of the dataset: " + killedTasksPartitions);
    List<SparseRow> expected = DataTesting.sortedRows(ROOT + "/criteo-direct");
    List<SparseRow> actual = DataTesting.sortedRows(ROOT + "/criteo-lambda");
    assertEquals(expected.size(), actual.size());
    assertEquals(expected, actual, "the same rows as the fault-free run");
  }

  @Test
  void aRelativeLocalPathIsTheDriversWhereverTheWorkersRun() throws Exception {
    // Environment processes work in directories of their own: the path must mean the driver's file.
    Path relative = Path.of("target", "relative-input-" + System.nanoTime() + ".svm");
    java.nio.file.Files.createDirectories(relative.getParent());
    java.nio.file.Files.writeString(relative, "1 3:1 7:0.5\n0 2:1\n1 7:2\n");
    Pipeline p = Pipeline.create(setup.options());
    p.apply(LoadLibsvm.from(relative.toString()).to(ROOT + "/relative"));
    p.run().waitUntilFinish();
    assertEquals(3, DataTesting.dataset(ROOT + "/relative").rowCount());
  }

  /**
   * Kills, with SIGKILL as a crash would, the environment of the first busy invocation that {@code ready} accepts,
   * watching from a thread of its own from its construction on, for at most {@link #WAIT}.
   */
  private static final class EnvironmentKill {
    private static final Duration WAIT = Duration.ofMinutes(3);
    private final String awaited;
    private final CompletableFuture<BusyInvocation> killed = new CompletableFuture<>();

    EnvironmentKill(String awaited, Predicate<BusyInvocation> ready) {
      this.awaited = awaited;
      Thread watcher = new Thread(() -> watch(ready), "kill-an-environment");
      watcher.setDaemon(true);
      watcher.start();
    }

    private void watch(Predicate<BusyInvocation> ready) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!killed.isDone()) {
        if (System.nanoTime() > deadline) {
          killed.completeExceptionally(new AssertionError("no invocation was " + awaited + " within " + WAIT));
          return;
        }
        for (BusyInvocation invocation : setup.lambda().busyInvocations(FUNCTION)) {
          if (ready.test(invocation) && stillRunning(invocation)) {
            ProcessHandle.of(invocation.pid()).ifPresent(ProcessHandle::destroyForcibly);
            killed.complete(invocation);
            return;
          }
        }
        sleep(10);
      }
    }

    /** Checked right before the kill, so that it cannot fall on the environment's next invocation. */
    private static boolean stillRunning(BusyInvocation invocation) {
      return setup.lambda().busyInvocations(FUNCTION).stream()
          .anyMatch(running -> running.requestId().equals(invocation.requestId()));
    }

    /** The invocation whose environment was killed; fails if none was before the job ended (or in time). */
    BusyInvocation victim() {
      killed.completeExceptionally(new AssertionError("the job ended before any invocation was " + awaited));
      try {
        return killed.join();
      } catch (CompletionException e) {
        throw (AssertionError) e.getCause();
      }
    }
  }

  /**
   * Accepts an invocation running a task of the Parse stage once a partition has appeared under {@code target} since
   * it was first seen running (only that task can have written it when tasks run one at a time): a kill then falls in
   * the middle of the task, after its first range's partitions and before its last's.
   */
  private static final class PartitionWriter implements Predicate<BusyInvocation> {
    private final S3Path target;
    private final Map<String, Boolean> parsing = new HashMap<>();
    private final Map<String, Set<String>> partitionsAtFirstSight = new HashMap<>();
    private final Map<String, Set<String>> writtenWhenAccepted = new HashMap<>();

    PartitionWriter(String target) {
      this.target = S3Path.parse(target);
    }

    @Override
    public boolean test(BusyInvocation invocation) {
      if (!parsing.computeIfAbsent(invocation.requestId(), id -> runsAParseTask(invocation))) {
        return false;
      }
      Set<String> written = partitions();
      written.removeAll(partitionsAtFirstSight.computeIfAbsent(invocation.requestId(), id -> partitions()));
      writtenWhenAccepted.put(invocation.requestId(), written);
      return !written.isEmpty();
    }

    /** The partitions {@code invocation} had written when this accepted it. */
    Set<String> writtenBy(BusyInvocation invocation) {
      return writtenWhenAccepted.get(invocation.requestId());
    }

    private Set<String> partitions() {
      Set<String> names = new HashSet<>();
      for (ObjectStore.ObjectInfo object : DataTesting.store().list(target.resolve("part-"))) {
        String key = object.path().key();
        // whole partitions only: the embedded store lists an upload in progress as KEY-UUID
        if (key.endsWith(".lz4")) {
          names.add(key.substring(key.lastIndexOf('/') + 1));
        }
      }
      return names;
    }

    /** Whether {@code invocation} runs a task (not an entry point) whose stage runs the loader's Parse step. */
    private static boolean runsAParseTask(BusyInvocation invocation) {
      if (InvocationPayloads.EntryPointCall.fromJsonOrNull(invocation.payload()) != null) {
        return false;
      }
      ObjectStore store = DataTesting.store();
      try {
        TaskDescriptor task = Messages.read(
            store.get(S3Path.parse(InvocationPayloads.Request.fromJson(invocation.payload()).task())),
            TaskDescriptor.class);
        StagePlan plan = Messages.read(store.get(S3Path.parse(task.plan())), StagePlan.class);
        return plan.ops().stream()
            .anyMatch(op -> op instanceof Op.ParDo parDo && parDo.stepName().contains("/Parse"));
      } catch (StoreException.NotFound e) {
        return false; // the task has just been committed: its descriptor is gone
      }
    }
  }

  private static long shardProcesses() {
    return ProcessHandle.current()
        .descendants()
        .filter(ProcessHandle::isAlive)
        .filter(process -> arguments(process).contains(PS_SERVER))
        .count();
  }

  /**
   * Its command line, from /proc: {@link ProcessHandle.Info#arguments} has none for a command line longer than a page,
   * as a JVM's with this class path is.
   */
  private static List<String> arguments(ProcessHandle process) {
    String commandLine = procFile(process.pid(), "cmdline");
    return commandLine.isEmpty() ? List.of() : List.of(commandLine.split("\0"));
  }

  private static String rootMessage(Throwable t) {
    Throwable cause = t;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    // The training failure, not the worker's own exception below it.
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c.getMessage() != null && c.getMessage().startsWith("worker ")) {
        return c.getMessage();
      }
    }
    return String.valueOf(cause.getMessage());
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Keeps the training result where the test reads it back. */
  static final class SaveResult extends StoreDoFn<TrainResult, Void> {
    private final String location;

    SaveResult(String location) {
      this.location = location;
    }

    @ProcessElement
    public void process(@Element TrainResult result) {
      store.put(S3Path.parse(location), SerializableUtils.serializeToByteArray(result));
    }
  }
}
