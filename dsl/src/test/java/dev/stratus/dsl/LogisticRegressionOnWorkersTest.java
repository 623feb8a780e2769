package dev.stratus.dsl;

import static dev.stratus.dsl.LambdaTrainingSetup.FUNCTION;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.jobs.train.CurvePoint;
import dev.stratus.jobs.train.GenerationRecord;
import dev.stratus.jobs.train.GradientWorker;
import dev.stratus.jobs.train.QuasiNewtonPoint;
import dev.stratus.jobs.train.ResumePoint;
import dev.stratus.jobs.train.ScalingDecision;
import dev.stratus.jobs.train.ShardRestart;
import dev.stratus.jobs.train.Solver;
import dev.stratus.jobs.train.StopReason;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.jobs.train.WorkerCheckpoints;
import dev.stratus.jobs.train.WorkerMessages;
import dev.stratus.jobs.train.WorkerTask;
import dev.stratus.jvm.ChildJvm;
import dev.stratus.jvm.ChildProcess;
import dev.stratus.jvm.LinuxProcesses;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.generate.CriteoGenerator;
import dev.stratus.kernels.iterate.MinibatchIterator;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.kernels.generate.PlantedRatings;
import dev.stratus.kernels.reference.Liblinear;
import dev.stratus.kernels.reference.ScikitLearn;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.FactorModel;
import dev.stratus.kernels.sgd.FactorObjective;
import dev.stratus.kernels.sgd.LinearModel;
import dev.stratus.kernels.sgd.TrainedModel;
import dev.stratus.lambda.local.BusyInvocation;
import dev.stratus.runner.lambda.LambdaRunner;
import dev.stratus.runner.lambda.message.InvocationPayloads;
import dev.stratus.runner.lambda.message.Messages;
import dev.stratus.runner.lambda.message.Op;
import dev.stratus.runner.lambda.message.StagePlan;
import dev.stratus.runner.lambda.message.TaskDescriptor;
import dev.stratus.runner.lambda.message.WorkerFunction;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
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
import java.util.function.Supplier;
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
 * liblinear finds on the same split, through hand-overs, killed environments, a killed driver and shard, and a worker
 * that cannot work.
 */
@Timeout(600)
class LogisticRegressionOnWorkersTest {
  static final String ROOT = "s3://tests/on-workers";
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

  static LogisticRegression baseTraining(Pipeline p) {
    PCollection<Dataset> validation = p.apply("Validation", ReadDataset.from(ROOT + "/validation"));
    return monitored(LogisticRegression.withValidationSet(validation))
        .testCurveOn(p.apply("Test", ReadDataset.from(ROOT + "/test")))
        .l2(0f);
  }

  /** The step size and the monitor's settings every training of the DSL's tests on planted data shares. */
  static <T extends SgdTraining<T>> T monitored(T training) {
    return training
        .learningRate(0.2f)
        .epsilon(1e-4)
        .window(6)
        .evalInterval(Duration.ofMillis(250))
        .timeout(Duration.ofSeconds(150));
  }

  /** The training whose driver is killed and resumed: {@code training} with two workers on two shards. */
  static LogisticRegression resumable(LogisticRegression training) {
    return training.workers(2).psShards(2);
  }

  /** Shards that snapshot every second, so that the faults' tests wait for snapshots no longer than that. */
  static void snapshotEverySecond(TrainingOptions options) {
    options.setPsSnapshotEverySeconds(1);
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
    LinearModel model =
        LinearModel.fromBytes(DataTesting.store().get(S3Path.parse(result.modelPath())), result.modelPath());
    double loss = model.evaluate(setup.testRows()).loss();
    System.out.printf("test logloss %.5f (liblinear optimum %.5f, ratio %.4f), %s, %,d updates, %d generations%n",
        loss, setup.optimum(), loss / setup.optimum(), result.stopReason(), result.updates(),
        result.workerGenerations());
    return loss;
  }

  /** Every object of every bucket of the store, as s3:// paths. */
  private static Set<String> allObjects() {
    Set<String> keys = new HashSet<>();
    for (Bucket bucket : DataTesting.store().client().listBuckets().buckets()) {
      DataTesting.store().list(new S3Path(bucket.name(), "")).forEach(object -> keys.add(object.path().toString()));
    }
    return keys;
  }

  /**
   * SGD on Lambda workers with no worker count set, as the README's trainings run: the driver starts one, tries twice
   * as many once the rate has settled, and on this machine's two cores keeps one or two (what counts set by hand show
   * fastest here), each decision with its reason. The training runs on to its timeout (epsilon 0), so that the trial is
   * decided before it ends.
   */
  @Test
  void sgdWorkersLeftToTheDriverGrowFromOneAndSettleAtOneOrTwoOnTwoCores() throws Exception {
    TrainResult result =
        train(ROOT + "/train", lr -> lr.epsilon(0).timeout(Duration.ofSeconds(30)), "sgd-workers-auto");
    result.scaling().forEach(decision -> System.out.println(decision.describe()));
    // the memory too is the driver's: the smallest size offered, as environments here share the machine's cores
    List<ScalingDecision> onMemory = result.scaling().stream()
        .filter(decision -> decision.resource() == ScalingDecision.Resource.MEMORY).toList();
    assertEquals(1, onMemory.size(), onMemory.toString());
    assertEquals(LambdaTrainingSetup.MEMORY_MB, onMemory.get(0).to(), onMemory.get(0).describe());
    assertTrue(onMemory.get(0).reason().contains("share this machine's cores"), onMemory.get(0).reason());
    assertTrue(result.generations().stream().allMatch(g -> g.memoryMb() == LambdaTrainingSetup.MEMORY_MB),
        result.generations().toString());
    List<ScalingDecision> decisions = result.scaling().stream()
        .filter(decision -> decision.resource() == ScalingDecision.Resource.WORKERS).toList();
    assertFalse(decisions.isEmpty(), "no decision in 30 s");
    assertEquals(1, decisions.get(0).from(), decisions.get(0).describe());
    assertEquals(2, decisions.get(0).to(), decisions.get(0).describe());
    assertTrue(decisions.stream().allMatch(decision -> decision.reason().contains("updates/s")), decisions.toString());
    assertTrue(result.keptWorkers() <= 2, "kept " + result.keptWorkers() + ": " + decisions);
    assertTrue(testLoss(result) <= setup.optimum() * BAR, "not within 2% of liblinear's optimum " + setup.optimum());
  }

  /**
   * A linear SVM of each loss on the same data, the squared hinge solved by L-BFGS at the defaults and the hinge by
   * SGD, meets the same bar against liblinear's solution of that loss at its best C ({@code -s 1} for the squared
   * hinge, {@code -s 3} for the hinge): the workers descend the SVM's loss, the monitor watches it, the model written
   * is an SVM's. A multinomial regression and a factorization
   * meet theirs the same way, the factorization though a worker's environment killed mid-training (SIGKILL, once its
   * generation recorded a position past its start; its successor resumes the user and item rows' factors where it
   * recorded). The linear models' workers are logistic regression's, whose kills the tests above hold.
   */
  @Test
  void linearSvmsAMultinomialRegressionAndAFactorizationOnTwoLambdaWorkersComeWithinTwoPercentOfTheirSolvers()
      throws Exception {
    PlantedData classes = new PlantedData(1_000, 4, 20_000, 8_000, 31);
    List<SparseRow> classesTest = DataTesting.writePlanted(ROOT + "/classes", classes);
    PlantedRatings ratings = MatrixFactorizationTest.planted();
    List<SparseRow> ratingsTest = DataTesting.writePlantedRatings(ROOT + "/ratings", ratings);
    // Two pipelines of two trainings each, one after the other: four at once on two cores starve one another, and a
    // monitor that judges progress over 1.5 s then takes a starved training for a converged one.
    Pipeline svms = Pipeline.create(setup.options());
    for (LinearLoss loss : List.of(LinearLoss.SQUARED_HINGE, LinearLoss.HINGE)) {
      LinearSvm svm =
          LinearSvm.withValidationSet(svms.apply("Validation" + loss, ReadDataset.from(ROOT + "/validation")));
      // the squared hinge at the defaults (L-BFGS, as its users get it), the hinge by SGD (as data too large to hold),
      // its workers at the memory of the function's variant
      svms.apply("Train" + loss, ReadDataset.from(ROOT + "/train"))
          .apply(loss + "Svm", (loss == LinearLoss.HINGE ? monitored(svm).workerMemoryMb(LambdaTrainingSetup.VARIANT_MB)
                  : svm)
              .loss(loss)
              .workers(2)
              .modelTo(ROOT + "/models/svm-" + loss + ".bin"));
    }
    long onVariantBefore = variantInvocations();
    svms.run().waitUntilFinish();
    assertTrue(variantInvocations() - onVariantBefore >= 2, "the hinge's two workers ran on the variant at "
        + LambdaTrainingSetup.VARIANT_MB + " MB: " + (variantInvocations() - onVariantBefore) + " invocations");
    EnvironmentKill factorizationKill = new EnvironmentKill("running a factorization's worker past its start",
        invocation -> workerPastItsStart(invocation)
            && workerTask(invocation).orElseThrow().spec().objective() instanceof FactorObjective);
    Pipeline p = Pipeline.create(setup.options());
    p.apply("TrainClasses", ReadDataset.from(ROOT + "/classes/train"))
        .apply("Multinomial",
            monitored(MultinomialLogisticRegression.withValidationSet(
                    p.apply("ValidationClasses", ReadDataset.from(ROOT + "/classes/validation"))))
                .classes(4)
                .workers(2)
                .modelTo(ROOT + "/models/multinomial.bin"));
    p.apply("TrainRatings", ReadDataset.from(ROOT + "/ratings/train"))
        .apply("Factorization",
            MatrixFactorization.withValidationSet(
                    p.apply("ValidationRatings", ReadDataset.from(ROOT + "/ratings/validation")))
                .rank(ratings.rank)
                .workers(2)
                .modelTo(ROOT + "/models/factorization.bin"));
    p.run().waitUntilFinish();
    factorizationKill.victim(); // fails if no environment was killed
    List<SparseRow> train = DatasetReader.readAll(DataTesting.store(), DataTesting.dataset(ROOT + "/train"));
    for (LinearLoss loss : List.of(LinearLoss.SQUARED_HINGE, LinearLoss.HINGE)) {
      String model = ROOT + "/models/svm-" + loss + ".bin";
      LinearModel svm = LinearModel.fromBytes(DataTesting.store().get(S3Path.parse(model)), model);
      assertEquals(loss, svm.loss());
      Liblinear.Optimum optimum = Liblinear.bestOf(loss, train, Arrays.asList(setup.testRows()), 0.01, 0.1, 1);
      double testLoss = svm.evaluate(setup.testRows()).loss();
      System.out.printf("linear SVM on Lambda workers: test %s %.5f, liblinear %.5f (C = %s)%n",
          loss.displayName(), testLoss, optimum.test().loss(), optimum.c());
      assertTrue(testLoss <= optimum.test().loss() * BAR,
          loss + " " + testLoss + " is not within 2% of " + optimum.test().loss());
    }
    String model = ROOT + "/models/multinomial.bin";
    LinearModel multinomial = LinearModel.fromBytes(DataTesting.store().get(S3Path.parse(model)), model);
    assertEquals(4, multinomial.classes());
    ScikitLearn.Optimum optimum = ScikitLearn.multinomialBestOf(4, classes.train, classesTest, 0.1, 1, 10);
    double testLoss = multinomial.meanLoss(classesTest.toArray(new SparseRow[0]));
    System.out.printf("multinomial on Lambda workers: test logloss %.5f, scikit-learn %.5f (C = %s)%n", testLoss,
        optimum.testLoss(), optimum.c());
    assertTrue(testLoss <= optimum.testLoss() * BAR,
        "multinomial " + testLoss + " is not within 2% of " + optimum.testLoss());

    String factorizationModel = ROOT + "/models/factorization.bin";
    FactorModel factorization = (FactorModel) TrainedModel.fromBytes(
        DataTesting.store().get(S3Path.parse(factorizationModel)), factorizationModel);
    ScikitLearn.AlsOptimum als = MatrixFactorizationTest.reference(ratings, ratingsTest);
    double rmse = factorization.evaluate(ratingsTest.toArray(new SparseRow[0])).rmse();
    System.out.printf("matrix factorization on Lambda workers: test RMSE %.4f, ALS %.4f (lambda %s)%n", rmse,
        als.testRmse(), als.lambda());
    assertTrue(rmse <= als.testRmse() * BAR, "factorization " + rmse + " is not within 2% of " + als.testRmse());
  }

  private static long variantInvocations() {
    return setup.lambda().stats(WorkerFunction.nameAt(LambdaTrainingSetup.FUNCTION, LambdaTrainingSetup.VARIANT_MB))
        .invocations();
  }

  /**
   * The L-BFGS solver on two Lambda workers and two shard processes comes within 0.1% of liblinear's exact optimum at
   * the same C, in the objective both minimise and on the test rows, through a killed driver and a killed environment.
   * The driver JVM, killed (SIGKILL) once it left an iterate beside its shards' snapshots, takes every process it
   * started with it; the same training run again with resume goes on from that iterate and its count of passes, its
   * workers left to the driver, which settles at no more than this machine's two cores and says why. There an
   * environment killed after it served a round has the round begun again with its successor.
   */
  @Test
  void lbfgsOnLambdaWorkersReachesLiblinearsOptimumThroughAKilledDriverAndAKilledEnvironment() throws Exception {
    List<SparseRow> train = DatasetReader.readAll(DataTesting.store(), DataTesting.dataset(ROOT + "/train"));
    double c = 1;
    float l2 = (float) (1 / (c * train.size()));
    String model = ROOT + "/models/lbfgs.bin";
    S3Path left = ResumePoint.at(SgdTrainingOnWorkers.checkpointOf(S3Path.parse(model)));
    killDriverOnce(model, Solver.LBFGS, l2, (driver, log) -> awaitWhileAlive(driver, log,
        "an L-BFGS iterate at " + left, () -> DataTesting.store().exists(left) ? true : null));
    QuasiNewtonPoint iterate = QuasiNewtonPoint.decode(DataTesting.store().get(left), left);

    EnvironmentKill kill = new EnvironmentKill("running an L-BFGS worker that has served a gradient round",
        invocation -> workerTask(invocation)
            .map(task -> invocation.log().contains(GradientWorker.servedLine(task.workerId(), task.generation())))
            .orElse(false));
    TrainResult result = train(ROOT + "/train",
        lr -> lr.psShards(2).solver(Solver.LBFGS).l2(l2).resumeFromSnapshots(true), "lbfgs");
    System.out.printf("resumed from the killed driver's iterate at %d passes, validation logloss %.5f%n",
        iterate.passes(), result.curve().get(0).validationLoss());
    assertEquals(iterate.passes(), result.resumedAtUpdates());
    System.out.println("workers: " + result.scaling());
    assertFalse(result.scaling().isEmpty(), "the driver said what it chose");
    assertTrue(result.keptWorkers() >= 1 && result.keptWorkers() <= 2, "kept on two cores: " + result.scaling());
    assertEquals(iterate.passes(), result.curve().get(0).updates(), "the curve goes on from the killed one's passes");
    assertTrue(result.curve().get(0).validationLoss() < Math.log(2) * 0.95,
        "the first evaluation is of the killed driver's iterate, not of an untrained model: " + result.curve().get(0));
    WorkerTask killed = workerTask(kill.victim()).orElseThrow();
    assertTrue(result.generations().stream().anyMatch(g -> g.worker() == killed.workerId()
        && g.generation() == killed.generation() && g.ending() == GenerationRecord.Ending.DIED),
        "the killed generation died: " + result.generations());

    Liblinear.Optimum exact = Liblinear.bestOf(train, Arrays.asList(setup.testRows()), c);
    LinearModel ours =
        LinearModel.fromBytes(DataTesting.store().get(S3Path.parse(result.modelPath())), result.modelPath());
    SparseRow[] trainRows = train.toArray(new SparseRow[0]);
    double objective = ours.objective(trainRows, l2, 0);
    double optimum = exact.model().objective(trainRows, l2, 0);
    double testLoss = ours.evaluate(setup.testRows()).loss();
    System.out.printf("L-BFGS on Lambda workers at C = %s: objective %.6f against liblinear's %.6f (%.5f), test"
        + " logloss %.5f against %.5f, %s after %d passes, %d generations%n", c, objective, optimum,
        objective / optimum, testLoss, exact.test().loss(), result.stopReason(), result.updates(),
        result.workerGenerations());
    assertEquals(StopReason.CONVERGED, result.stopReason());
    assertTrue(objective <= optimum * 1.001, "objective " + objective + " against liblinear's " + optimum);
    assertTrue(testLoss <= exact.test().loss() * 1.001, "test logloss " + testLoss + " against " + exact.test().loss());
  }

  /**
   * Lambda workers on two shards meet the bar while their generations, of a 2 s lifetime, hand over (each successor
   * starting where its predecessor returned) and an environment killed while its generation runs is regenerated from
   * the position it last recorded; and no secret (the shards' token, the store's key) is on any child process's
   * command line or in any object the job wrote, its intermediate data kept to be looked at.
   */
  @Test
  void workersHandOverAKilledEnvironmentIsRegeneratedAndNoSecretIsOnACommandLineOrInAStoredObject()
      throws Exception {
    long invocationsBefore = setup.lambda().stats(FUNCTION).invocations();
    long errorsBefore = setup.lambda().stats(FUNCTION).errors();
    Set<String> objectsBefore = allObjects();
    EnvironmentKill kill = new EnvironmentKill(
        "running an SGD worker generation that has recorded a position past its start",
        LogisticRegressionOnWorkersTest::workerPastItsStart);
    LambdaTrainingSetup.StoreOptionsAndRunner options = setup.options();
    options.setKeepIntermediateData(true);
    TrainResult result;
    try (SecretWatch secrets = new SecretWatch()) {
      result = train(options, ROOT + "/train",
          lr -> lr.workers(2).psShards(2).workerLifetime(Duration.ofSeconds(2)), "lifetime-and-kill");
      secrets.assertNoneOnACommandLineNorIn(objectsBefore);
    }

    double testLoss = testLoss(result);
    assertTrue(testLoss <= setup.optimum() * BAR, "not within 2% of liblinear's optimum " + setup.optimum());
    // the curve's test losses are the test rows', and the model kept is the one best on the validation rows
    CurvePoint chosen =
        result.curve().stream().min(Comparator.comparingDouble(CurvePoint::validationLoss)).orElseThrow();
    assertEquals(testLoss, chosen.testLoss(), 1e-9, "the kept model's test loss is its point's on the curve");
    long invocations = setup.lambda().stats(FUNCTION).invocations() - invocationsBefore;
    assertTrue(invocations >= result.workerGenerations() + 2,
        "the local service counted " + invocations + " invocations for " + result.workerGenerations()
            + " worker generations and the pipeline's tasks");

    WorkerTask killed = workerTask(kill.victim()).orElseThrow();
    GenerationRecord died =
        result.generations().stream()
            .filter(g -> g.worker() == killed.workerId() && g.generation() == killed.generation())
            .findFirst()
            .orElseThrow(() -> new AssertionError("no record of the killed generation: " + result.generations()));
    System.out.println("killed " + kill.victim() + "; the dead generation: " + died);
    assertEquals(GenerationRecord.Ending.DIED, died.ending(), died.toString());
    assertTrue(died.error().contains("Runtime.ExitError") || died.error().contains("exited"), died.error());
    assertTrue(setup.lambda().stats(FUNCTION).errors() > errorsBefore, "the service counted the crash");
    for (int w = 0; w < 2; w++) {
      List<GenerationRecord> generations = result.generationsOf(w);
      assertTrue(generations.size() >= 3, "worker " + w + ": " + generations);
      for (int g = 1; g < generations.size(); g++) {
        GenerationRecord before = generations.get(g - 1);
        GenerationRecord after = generations.get(g);
        assertEquals(before.equals(died) ? GenerationRecord.Ending.DIED : GenerationRecord.Ending.HANDED_OVER,
            before.ending(), before.toString());
        assertEquals(before.end(), after.start(), "a successor starts where its predecessor returned or recorded");
        assertTrue(after.start().compareTo(before.start()) > 0, "positions advance: " + generations);
      }
    }
  }

  /**
   * Watches, while open, every child process's command line and the shards' token in their environment; then checks
   * that neither that token nor the store's key is on any command line or in an object written since.
   */
  private static final class SecretWatch implements AutoCloseable {
    /** Every command line seen, by process: one read between its fork and its exec shows its parent's first. */
    private final Map<Long, Set<String>> commandLines = new ConcurrentHashMap<>();
    private final Set<String> psTokens = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread watcher = new Thread(this::watch, "watch-command-lines");

    SecretWatch() {
      watcher.start();
    }

    private void watch() {
      while (running.get()) {
        ProcessHandle.current().descendants().forEach(child -> {
          String commandLine = String.join(" ", LinuxProcesses.commandLine(child.pid()));
          if (!commandLine.isBlank()) {
            commandLines.computeIfAbsent(child.pid(), pid -> ConcurrentHashMap.newKeySet()).add(commandLine);
          }
          if (commandLine.contains(PS_SERVER)) {
            for (String variable : LinuxProcesses.environment(child.pid())) {
              if (variable.startsWith("STRATUS_PS_TOKEN=")) {
                psTokens.add(variable.substring("STRATUS_PS_TOKEN=".length()));
              }
            }
          }
        });
        sleep(50);
      }
    }

    void assertNoneOnACommandLineNorIn(Set<String> objectsBefore) throws InterruptedException {
      close();
      assertTrue(commandLines.values().stream().anyMatch(lines -> lines.stream().anyMatch(c -> c.contains("AWSLambda"))),
          "an environment process was seen: " + commandLines.values());
      assertTrue(commandLines.values().stream()
              .filter(lines -> lines.stream().anyMatch(c -> c.contains(PS_SERVER))).count() >= 2,
          "both shard processes were seen: " + commandLines.values());
      assertFalse(psTokens.isEmpty(), "the shards' token was seen in their environment");
      List<String> secrets = new ArrayList<>(psTokens);
      secrets.add(DataTesting.store().reachableSpec().secretKey());
      for (String commandLine : commandLines.values().stream().flatMap(Set::stream).toList()) {
        for (String secret : secrets) {
          assertFalse(commandLine.contains(secret), "a secret on the command line " + commandLine);
        }
      }
      Set<String> written = allObjects();
      written.removeAll(objectsBefore);
      assertTrue(written.stream().anyMatch(key -> key.contains("/plan")), "the job's stage plans were kept: " + written);
      for (String key : written) {
        String content = new String(DataTesting.store().get(S3Path.parse(key)), StandardCharsets.ISO_8859_1);
        for (String secret : secrets) {
          assertFalse(content.contains(secret), "a secret in the stored object " + key);
        }
      }
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      watcher.join();
    }
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

  /**
   * A driver's and a shard's faults, in one training. The driver JVM killed (SIGKILL) once both shards snapshotted
   * progress takes every process it started with it within seconds: its shards and its Lambda environments. The same
   * training run again with resume starts from the snapshots' updates, not from zero, each worker past the data's
   * start. While it runs, shard 1 is killed twice in a row, each time once the shard serving it has applied pushes:
   * it comes back from its snapshots both times, no worker dies with it, and the training still comes within 2% of
   * the optimum.
   */
  @Test
  @Timeout(300)
  void aTrainingWhoseDriverJvmWasKilledResumesFromItsSnapshotsThroughAShardKilledTwiceAndMeetsTheBar()
      throws Exception {
    String model = ROOT + "/models/resumed.bin";
    S3Path checkpoint = SgdTrainingOnWorkers.checkpointOf(S3Path.parse(model));
    String modelName = killDriverOnce(model, Solver.SGD, 0f, (driver, log) -> {
      String name = awaitWhileAlive(driver, log, "a resume point with every worker past its start",
          () -> modelOfAResumePointPastStart(checkpoint));
      for (int shard = 0; shard < 2; shard++) {
        S3Path pointer = snapshotPointer(checkpoint, shard, name);
        awaitWhileAlive(driver, log, "a snapshot of shard " + shard + " past 1,000 changes",
            () -> snapshotChanges(pointer) > 1_000 ? true : null);
      }
      return name;
    });

    S3Path pointer = snapshotPointer(checkpoint, 1, modelName);
    CompletableFuture<Void> killedTwice = new CompletableFuture<>();
    Thread chaos = new Thread(() -> {
      try {
        killShardTwice(1, pointer);
        killedTwice.complete(null);
      } catch (InterruptedException e) {
        killedTwice.completeExceptionally(new IllegalStateException("the training ended first"));
      } catch (Throwable e) {
        killedTwice.completeExceptionally(e);
      }
    }, "kill-shard-1-twice");
    chaos.setDaemon(true);
    chaos.start();
    LambdaTrainingSetup.StoreOptionsAndRunner options = setup.options();
    snapshotEverySecond(options);
    TrainResult result;
    try {
      result = train(options, ROOT + "/train", lr -> resumable(lr).resumeFromSnapshots(true), "resumed");
    } finally {
      chaos.interrupt(); // so that it cannot kill a later test's shard
      chaos.join(Duration.ofSeconds(10).toMillis());
    }
    assertTrue(killedTwice.isDone(), "the shard killer did not stop");
    try {
      killedTwice.join();
    } catch (CompletionException e) {
      throw new AssertionError("shard 1 was not killed twice: " + e.getCause().getMessage(), e.getCause());
    }

    double loss = testLoss(result);
    System.out.println("resumed at " + result.resumedAtUpdates() + " updates; restarts " + result.shardRestarts());
    assertTrue(result.resumedAtUpdates() > 0, "the model came back with the killed run's progress");
    assertEquals(result.resumedAtUpdates(), result.curve().get(0).updates(),
        "the curve continues from the snapshots' updates: " + result.curve().get(0));
    assertTrue(result.curve().get(0).validationLoss() < Math.log(2) * 0.95,
        "the first evaluation is of the trained model, not of an untrained one: " + result.curve().get(0));
    for (int w = 0; w < 2; w++) {
      GenerationRecord first = result.generationsOf(w).get(0);
      assertTrue(first.start().compareTo(MinibatchIterator.Position.START) > 0,
          "each worker starts past the data's start: " + first);
    }
    assertEquals(2, result.shardRestarts().size(), "both restarts: " + result.shardRestarts());
    for (ShardRestart restart : result.shardRestarts()) {
      assertEquals(1, restart.shard());
      assertTrue(restart.clockRestored() > 0, "the model came back with its progress: " + restart);
    }
    assertTrue(result.generations().stream().noneMatch(g -> g.ending() == GenerationRecord.Ending.DIED),
        "no worker died with the shard: " + result.generations());
    assertTrue(loss <= setup.optimum() * BAR, "not within 2% of liblinear's optimum " + setup.optimum());
  }

  /** What a test waits for in a driver it kills: a value once it holds, given the driver's JVM and its output. */
  private interface DriverReady<T> {
    T await(ChildProcess driver, Path log) throws InterruptedException;
  }

  /**
   * Runs {@link TrainingDriverToKill} on {@code model} by {@code solver} at penalty {@code l2}, waits until {@code ready} holds, and kills
   * the driver's JVM alone (SIGKILL): every process it started (its two shards, its Lambda environments) must end with
   * it within seconds. Returns what {@code ready} returned.
   */
  private static <T> T killDriverOnce(String model, Solver solver, float l2, DriverReady<T> ready) throws Exception {
    Path log = DataTesting.DIR.resolve("driver-to-kill-" + solver + ".log");
    try (ChildProcess driver = ChildJvm.mainClass(TrainingDriverToKill.class)
        .jvmOptions("-Xmx512m")
        .arguments(DataTesting.DIR.resolve("store").toString(), model, solver.name(), String.valueOf(l2))
        .name("the driver to kill")
        .output(ChildProcess.Output.toFile(log))
        .start()) {
      T value = ready.await(driver, log);
      List<ProcessHandle> started = ProcessHandle.of(driver.pid()).orElseThrow().descendants().toList();
      List<String> commandLines = started.stream().map(LogisticRegressionOnWorkersTest::commandLine).toList();
      assertEquals(2, commandLines.stream().filter(line -> line.contains(PS_SERVER)).count(),
          "the driver's two shard processes: " + commandLines);
      assertTrue(commandLines.stream().anyMatch(line -> line.contains("AWSLambda")),
          "the driver's Lambda environments: " + commandLines);
      ProcessHandle.of(driver.pid()).orElseThrow().destroyForcibly(); // kill -9 of the driver alone
      long killed = System.nanoTime();
      assertTrue(driver.waitFor(Duration.ofSeconds(10)), "the killed driver did not end");
      long deadline = killed + Duration.ofSeconds(10).toNanos();
      while (!started.stream().allMatch(process -> LinuxProcesses.ended(process.pid()))
          && System.nanoTime() < deadline) {
        sleep(20);
      }
      assertEquals(List.of(), started.stream().filter(process -> !LinuxProcesses.ended(process.pid()))
              .map(LogisticRegressionOnWorkersTest::commandLine).toList(),
          "processes of the killed driver still running 10 s after it");
      System.out.printf("the killed driver's %d processes ended within %.1f s%n", started.size(),
          (System.nanoTime() - killed) / 1e9);
      return value;
    }
  }

  /**
   * Kills (SIGKILL) shard {@code shard} of the training running in this JVM twice, each time once its process has
   * snapshotted more pushes than the snapshots it came back from held (at {@code pointer}): training goes on through
   * it. Ends early when interrupted.
   */
  private static void killShardTwice(int shard, S3Path pointer) throws InterruptedException {
    long killedPid = -1;
    for (int kill = 0; kill < 2; kill++) {
      long notPid = killedPid;
      ProcessHandle process = await("a process of shard " + shard + " other than pid " + notPid,
          () -> shardProcess(shard, notPid));
      long restored = snapshotChanges(pointer);
      await("a snapshot of shard " + shard + " (pid " + process.pid() + ") past " + restored + " changes",
          () -> snapshotChanges(pointer) > restored ? true : null);
      process.destroyForcibly();
      killedPid = process.pid();
      System.out.println("killed shard " + shard + " (pid " + killedPid + ")");
    }
  }

  /** This JVM's process serving shard {@code shard}, other than {@code notPid}; null if none. */
  private static ProcessHandle shardProcess(int shard, long notPid) {
    return ProcessHandle.current().descendants()
        .filter(process -> process.pid() != notPid && process.isAlive())
        .filter(process -> {
          List<String> arguments = LinuxProcesses.commandLine(process.pid());
          int at = arguments.indexOf("--shard");
          return arguments.contains(PS_SERVER) && at >= 0 && at + 1 < arguments.size()
              && arguments.get(at + 1).equals(String.valueOf(shard));
        })
        .findFirst()
        .orElse(null);
  }

  /** The pointer to the latest snapshot of {@code modelName} on shard {@code shard} (ps' Snapshots layout). */
  private static S3Path snapshotPointer(S3Path checkpoint, int shard, String modelName) {
    return checkpoint.resolve("shard-" + shard + "/" + modelName + ".latest");
  }

  /** The changes the snapshot {@code pointer} names holds (its object's name leads with them); -1 when none. */
  private static long snapshotChanges(S3Path pointer) {
    try {
      String named = new String(DataTesting.store().get(pointer), StandardCharsets.UTF_8);
      return Long.parseLong(named.substring(0, named.indexOf('-')));
    } catch (StoreException.NotFound e) {
      return -1;
    }
  }

  /**
   * The model named by the resume point under {@code checkpoint} once every worker's position in it is past the
   * data's start (its lines after the model's name: {@code epoch step row}); null until then.
   */
  private static String modelOfAResumePointPastStart(S3Path checkpoint) {
    String[] lines;
    try {
      lines = new String(DataTesting.store().get(ResumePoint.at(checkpoint)), StandardCharsets.UTF_8).split("\n");
    } catch (StoreException.NotFound e) {
      return null;
    }
    boolean pastStart = lines.length == 3 && Arrays.stream(lines, 1, 3).noneMatch(line -> line.equals("0 0 0"));
    return pastStart ? lines[0] : null;
  }

  /** Waits (at most a minute) until {@code value} is not null, and returns it; fails naming {@code what}. */
  private static <T> T await(String what, Supplier<T> value) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    T got;
    while ((got = value.get()) == null) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("waited a minute for " + what);
      }
      Thread.sleep(20);
    }
    return got;
  }

  /** {@link #await}, failing with the driver's output as soon as the driver ends. */
  private static <T> T awaitWhileAlive(ChildProcess driver, Path log, String what, Supplier<T> value)
      throws InterruptedException {
    try {
      return await(what, () -> {
        if (!driver.isAlive()) {
          throw new AssertionError("the driver ended before " + what);
        }
        return value.get();
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + readLog(log), e);
    }
  }

  private static String readLog(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no output: " + e.getMessage() + ")";
    }
  }

  private static String commandLine(ProcessHandle process) {
    return String.join(" ", LinuxProcesses.commandLine(process.pid()));
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
        .filter(process -> LinuxProcesses.commandLine(process.pid()).contains(PS_SERVER))
        .count();
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
