package dev.stratus.jobs.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stratus.jobs.train.CappedWorkers;
import dev.stratus.jobs.train.ConsoleView;
import dev.stratus.jobs.train.OwnCoreClock;
import dev.stratus.jobs.train.CurvePoint;
import dev.stratus.jobs.train.Prices;
import dev.stratus.jobs.train.Shards;
import dev.stratus.jobs.train.Solver;
import dev.stratus.jobs.train.StopReason;
import dev.stratus.jobs.train.ThreadWorkers;
import dev.stratus.jobs.train.TrainingSpec;
import dev.stratus.jobs.train.WorkerLauncher;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.dataset.DatasetWriter;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearObjective;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.client.PsClient;
import dev.stratus.store.EmbeddedS3Server;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A search against real in-process shards and worker threads, steered from outside: a running experiment and a
 * waiting one are stopped, the other goes on, and the shards are left without any experiment's model.
 */
@Timeout(180)
public class SearchDriverTest {
  private static final int FEATURES = 2_000;

  @TempDir Path dir;

  /** One experiment per learning rate, each one worker of AdaGrad for up to 6 epochs. */
  public static List<Experiment> experiments(float... rates) {
    return IntStream.range(0, rates.length)
        .mapToObj(i -> new Experiment(i, Map.of("learningRate", rates[i]), new TrainingSpec(1, 2, 512,
            Optimizer.ADAGRAD, rates[i], 20, 0f, 1e-4, 6, 60, 200, 0, 4, 7, false, 600, 3)))
        .toList();
  }

  /**
   * A search, two experiments at a time on worker threads, of planted data it writes to {@code store} (bucket
   * "search"), validated on the planted test rows.
   */
  public static SearchDriver plantedSearch(ObjectStore store, Shards shards, Consumer<String> progress) {
    return plantedSearch(store, shards, 2, progress);
  }

  /** {@link #plantedSearch(ObjectStore, Shards, Consumer)}, {@code parallelism} at a time. */
  private static SearchDriver plantedSearch(ObjectStore store, Shards shards, int parallelism,
      Consumer<String> progress) {
    store.ensureBucket("search");
    PlantedData data = new PlantedData(FEATURES, 20_000, 2_000, 11);
    Dataset train =
        DatasetWriter.write(store, S3Path.parse("s3://search/train"), data.train,
            DatasetManifest.template(FEATURES, List.of(), "planted", null), 5_000);
    return new SearchDriver(store, store.reachableSpec(), train, data.test.toArray(new SparseRow[0]), shards,
        () -> new ThreadWorkers(512), Prices.AWS_LAMBDA_X86, Scheduler.none(), parallelism, progress);
  }

  @Test
  void stoppedExperimentsEndAsKilledAndEveryModelLeavesTheShards() throws Exception {
    try (EmbeddedS3Server server = EmbeddedS3Server.start(dir); Shards shards = Shards.inProcess(2)) {
      ObjectStore store = ObjectStore.of(server.spec());
      List<Experiment> experiments = experiments(0.05f, 0.1f, 0.15f);
      CountDownLatch firstEvaluated = new CountDownLatch(1);
      ByteArrayOutputStream shown = new ByteArrayOutputStream();
      ConsoleView console = plainConsole(shown);
      List<String> progress = new CopyOnWriteArrayList<>();
      SearchDriver search =
          plantedSearch(store, shards, progress::add)
              .listen(SearchListener.showingOn(console))
              .listen(new SearchListener() {
                @Override
                public void evaluated(int id, CurvePoint point) {
                  if (id == 0 && point.updates() > 0) {
                    firstEvaluated.countDown();
                  }
                }
              });
      Thread steering =
          new Thread(() -> {
            try {
              assertTrue(firstEvaluated.await(60, TimeUnit.SECONDS));
              search.stop(2); // waiting: experiments 0 and 1 hold the two places
              search.stop(0);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      steering.start();
      SearchResult result = search.run(experiments, id -> S3Path.parse("s3://search/models/" + id + "/model.bin"));
      steering.join();
      console.close();
      System.out.println(shown + "\n" + String.join("\n", progress) + "\n" + result.table());

      for (ExperimentResult experiment : result.experiments()) {
        String ending = "experiment " + experiment.id() + " (" + experiments.get(experiment.id()).describe() + "): "
            + experiment.state();
        assertEquals(1, shown.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith(ending)).count(),
            "the console shows each experiment's end once:\n" + shown);
      }
      assertTrue(progress.stream().noneMatch(line -> line.contains("stopped:") || line.contains("stopped before")),
          "the console's line is the only one for an end: " + progress);

      ExperimentResult running = byId(result, 0);
      assertEquals(StopReason.KILLED, running.stopReason(), result.table());
      assertTrue(running.updates() > 0 && !running.curve().isEmpty(), result.table());
      assertTrue(store.exists(S3Path.parse(running.modelPath())), "a killed experiment keeps its best model");
      ExperimentResult waiting = byId(result, 2);
      assertEquals(StopReason.KILLED, waiting.stopReason(), result.table());
      assertEquals(0, waiting.updates());
      assertTrue(waiting.curve().isEmpty() && waiting.modelPath() == null, result.table());
      ExperimentResult other = byId(result, 1);
      assertNotEquals(StopReason.KILLED, other.stopReason(), result.table());
      assertTrue(other.updates() > running.updates(), "the other experiment went on:\n" + result.table());
      assertEquals(result.experiments().get(0).modelPath(), result.bestModelPath());
      JsonNode json = new ObjectMapper().readTree(result.toJson());
      assertEquals(result.bestModelPath(), json.path("bestModelPath").asText());
      JsonNode first = json.path("experiments").get(0);
      assertEquals(1, first.path("rank").asInt());
      assertEquals(0.1, first.path("parameters").path("learningRate").asDouble(), 1e-6);
      assertEquals(first.path("curve").size(), result.experiments().get(0).curve().size());
      JsonNode never = json.path("experiments").get(2);
      assertEquals("killed", never.path("state").asText());
      assertTrue(never.path("bestValidationLoss").isNull(), "no loss is null, not NaN: " + never);

      try (PsClient ps = PsClient.connect(shards.addresses(), shards.access(), 0)) {
        for (var shard : ps.metrics().get(10, TimeUnit.SECONDS)) {
          assertEquals(0, shard.models(), "every experiment's model was deleted from the shards");
        }
        assertEquals(List.of(), ps.list("").get(10, TimeUnit.SECONDS), "and every worker's keys");
      }
    }
  }

  /**
   * Experiments solved by L-BFGS share the shards as SGD's do: each converges at its penalty, the better penalty is
   * ranked first, the console counts their passes and shows their workers, and no experiment leaves a model (its
   * rounds' included) or a key on the shards.
   */
  @Test
  void lbfgsExperimentsConvergeOnSharedShardsAndLeaveNothingThere() throws Exception {
    try (EmbeddedS3Server server = EmbeddedS3Server.start(dir); Shards shards = Shards.inProcess(2)) {
      ObjectStore store = ObjectStore.of(server.spec());
      float[] penalties = {1e-2f, 1e-4f};
      List<Experiment> experiments = IntStream.range(0, penalties.length)
          .mapToObj(i -> new Experiment(i, Map.of("l2", penalties[i]), new TrainingSpec(2, 2, 512, Optimizer.ADAGRAD,
              0.1f, 20, penalties[i], 1e-4, 5, 60, 0, 0, 4, 7, false, 600, 3).withSolver(Solver.LBFGS)))
          .toList();
      ByteArrayOutputStream shown = new ByteArrayOutputStream();
      ConsoleView console = plainConsole(shown);
      SearchResult result = plantedSearch(store, shards, System.out::println)
          .listen(SearchListener.showingOn(console))
          .run(experiments, id -> S3Path.parse("s3://search/lbfgs/" + id + "/model.bin"));
      console.close();
      System.out.println(shown + "\n" + result.table());
      for (int id = 0; id < 2; id++) {
        String ending = "experiment " + id + " (" + experiments.get(id).describe() + "): converged";
        assertTrue(shown.toString(StandardCharsets.UTF_8).lines()
                .anyMatch(line -> line.startsWith(ending) && line.contains(" passes ") && line.contains("2 workers")),
            "the console counts an L-BFGS experiment's passes and shows its workers:\n" + shown);
      }
      for (ExperimentResult experiment : result.experiments()) {
        assertEquals(StopReason.CONVERGED, experiment.stopReason(), result.table());
      }
      assertEquals(1, result.experiments().get(0).id(), "the weaker penalty fits 20,000 rows better:\n"
          + result.table());
      try (PsClient ps = PsClient.connect(shards.addresses(), shards.access(), 0)) {
        for (var shard : ps.metrics().get(10, TimeUnit.SECONDS)) {
          assertEquals(0, shard.models(), "every experiment's models were deleted from the shards");
        }
        assertEquals(List.of(), ps.list("").get(10, TimeUnit.SECONDS), "and every key");
      }
    }
  }

  /**
   * With no parallelism set, a search runs more experiments at once while each keeps its pace: where each worker has a
   * core of its own (a simulated service, {@link OwnCoreClock}) it goes from one to all four.
   */
  @Test
  void experimentsAtOnceDoubleWhereWorkersHaveCoresOfTheirOwn() throws Exception {
    PlantedData data = new PlantedData(FEATURES, 20_000, 2_000, 11);
    // a pass of two workers a fifth of a second on cores of their own
    SearchResult result = autoSearch(data, null, () -> new ThreadWorkers(512, new OwnCoreClock(0.4 / data.train.size())),
        "experiments at once 2 -> 4: .*", 1e-3f, 3e-4f, 1e-4f, 3e-5f);
    assertEquals(4, result.parallelism(), "every experiment at once where each worker has a core");
  }

  /**
   * On this machine, where worker threads share its cores and an SGD worker keeps one busy, a search of eight
   * experiments of one worker each with no parallelism set runs as many at once as there are cores, and says why.
   * Measured paces alone once kept 4 or 8 here: experiments that start in a cold JVM speed up for seconds, and later
   * ones looked faster than they are.
   */
  @Test
  void experimentsAtOnceAreAtMostTheCoresTheirWorkersShare() throws Exception {
    int cores = Runtime.getRuntime().availableProcessors();
    assumeTrue(cores < 8, "fewer cores than experiments: " + cores);
    try (EmbeddedS3Server server = EmbeddedS3Server.start(dir); Shards shards = Shards.inProcess(1)) {
      ObjectStore store = ObjectStore.of(server.spec());
      SearchResult result = untilDecided(
          progress -> plantedSearch(store, shards, SearchDriver.AUTO_PARALLELISM, progress),
          experiments(0.01f, 0.02f, 0.03f, 0.05f, 0.07f, 0.1f, 0.15f, 0.2f),
          "experiments at once settle at " + cores + ": .* the most whose workers \\(1 each\\) keep this"
              + " machine's " + cores + " cores computing",
          "s3://search/sgd-auto/");
      assertEquals(cores, result.parallelism(), "at once on " + cores + " cores");
    }
  }

  /**
   * A search's later rungs are narrow, and the experiments left grow into what the ended ones used. Two experiments
   * whose drivers choose their workers share a simulated Lambda account of four concurrent workers, each on a core of
   * its own ({@link CappedWorkers}, {@link OwnCoreClock}): each starts at two, its doubling is refused (the four are in
   * use), and it settles at two. Once one is stopped, as a rung stops the worse half, and none waits to start, the
   * other measures its count again and doubles to four, which the account now holds.
   */
  @Test
  void anExperimentLeftAloneGrowsIntoTheWorkersOfThoseThatEnded() throws Exception {
    PlantedData data = new PlantedData(FEATURES, 20_000, 2_000, 11);
    Semaphore account = new Semaphore(4);
    try (EmbeddedS3Server server = EmbeddedS3Server.start(dir); Shards shards = Shards.inProcess(1)) {
      ObjectStore store = ObjectStore.of(server.spec());
      store.ensureBucket("search");
      Dataset train = DatasetWriter.write(store, S3Path.parse("s3://search/train"), data.train,
          DatasetManifest.template(data.features, List.of(), "planted", null), data.train.size() / 8);
      float[] penalties = {1e-5f, 3e-6f};
      List<Experiment> experiments = IntStream.range(0, penalties.length)
          .mapToObj(i -> new Experiment(i, Map.of("l2", penalties[i]), new TrainingSpec(TrainingSpec.AUTO_WORKERS, 1,
              512, Optimizer.ADAGRAD, 0.1f, 20, penalties[i], 1e-9, 5, 120, 0, 0, 4, 7, false, 600, 3)
              .withSolver(Solver.LBFGS)))
          .toList();
      List<String> progress = new CopyOnWriteArrayList<>();
      // a pass a second of compute, half a second for each of two workers on cores of their own
      SearchDriver search = new SearchDriver(store, store.reachableSpec(), train, data.test.toArray(new SparseRow[0]),
          shards, () -> new CappedWorkers(account, new ThreadWorkers(512, new OwnCoreClock(1.0 / data.train.size()))),
          Prices.AWS_LAMBDA_X86, Scheduler.none(), 2, line -> {
            System.out.println(line);
            progress.add(line);
          });
      String refused = " workers 4 -> 2: the Lambda service refused the calls of \\d of the 4 workers.*";
      Thread rung = new Thread(() -> {
        try {
          awaitLine(progress, "experiment 0 .*" + refused);
          awaitLine(progress, "experiment 1 .*" + refused);
          search.stop(0);
          awaitLine(progress, "experiment 1 .*workers 2 -> 4: the new ones read their partitions and sum them");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          search.stop(0);
          search.stop(1);
        }
      });
      rung.start();
      SearchResult result = search.run(experiments, id -> S3Path.parse("s3://search/rungs/" + id + "/model.bin"));
      rung.join();
      System.out.println(result.table());
      for (ExperimentResult experiment : result.experiments()) {
        assertEquals(null, experiment.error(), result.table());
      }
      assertTrue(progress.stream().anyMatch(line -> line.matches("experiment 1 .*workers measured again at 2:"
          + " experiment 0 ended and none waits to start")), "measured again once the other ended: " + progress);
      assertTrue(progress.stream().anyMatch(line -> line.matches("experiment 1 .*starting workers to go from 2 to 4:"
          + " experiment 0 ended and none waits to start; a pass took .*")), "and doubled: " + progress);
      assertTrue(progress.stream().anyMatch(line -> line.matches(
          "experiment 1 .*workers 2 -> 4: the new ones read their partitions and sum them")),
          "the four sum the rounds: " + progress);
    }
  }

  /** Waits, up to a minute and a half, for a line of {@code progress} that matches {@code regex}. */
  private static void awaitLine(List<String> progress, String regex) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (progress.stream().noneMatch(line -> line.matches(regex))) {
      if (System.nanoTime() > deadline) {
        return; // the assertions after say what was missing
      }
      Thread.sleep(50);
    }
  }

  /**
   * An L-BFGS experiment of two workers for each of {@code penalties} over {@code data}, no parallelism set, stopped
   * once the console has a line that matches {@code decision} (none failing).
   */
  private SearchResult autoSearch(PlantedData data, LinearObjective objective, Supplier<WorkerLauncher> launchers,
      String decision, float... penalties) throws Exception {
    try (EmbeddedS3Server server = EmbeddedS3Server.start(dir); Shards shards = Shards.inProcess(1)) {
      ObjectStore store = ObjectStore.of(server.spec());
      store.ensureBucket("search");
      Dataset train = DatasetWriter.write(store, S3Path.parse("s3://search/train"), data.train,
          DatasetManifest.template(data.features, List.of(), "planted", null), data.train.size() / 8);
      List<Experiment> experiments = IntStream.range(0, penalties.length)
          .mapToObj(i -> new Experiment(i, Map.of("l2", penalties[i]), new TrainingSpec(2, 1, 512, Optimizer.ADAGRAD,
              0.1f, 20, penalties[i], 1e-6, 5, 60, 0, 0, 4, 7, false, 600, 3, true, null, objective, 0,
              Solver.LBFGS)))
          .toList();
      SearchResult result = untilDecided(
          progress -> new SearchDriver(store, store.reachableSpec(), train, data.test.toArray(new SparseRow[0]),
              shards, launchers, Prices.AWS_LAMBDA_X86, Scheduler.none(), SearchDriver.AUTO_PARALLELISM,
              progress),
          experiments, decision, "s3://search/auto/");
      for (ExperimentResult experiment : result.experiments()) {
        assertTrue(experiment.stopReason() == StopReason.CONVERGED || experiment.stopReason() == StopReason.KILLED,
            result.table());
      }
      return result;
    }
  }
  /**
   * Runs {@code experiments} on the search {@code make} builds with a console of its own, stopping them all once the
   * console has a line that matches {@code decision} (the rest of the trainings would show nothing more); asserts that
   * there was such a line and that no experiment failed.
   */
  private static SearchResult untilDecided(Function<Consumer<String>, SearchDriver> make, List<Experiment> experiments,
      String decision, String models) throws InterruptedException {
    List<String> progress = new CopyOnWriteArrayList<>();
    SearchDriver[] search = new SearchDriver[1];
    search[0] = make.apply(line -> {
      progress.add(line);
      if (line.matches(decision)) {
        experiments.forEach(experiment -> search[0].stop(experiment.id()));
      }
    });
    SearchResult result = search[0].run(experiments, id -> S3Path.parse(models + id + "/model.bin"));
    progress.stream().filter(line -> line.startsWith("experiments at once")).forEach(System.out::println);
    System.out.println(result.table());
    for (ExperimentResult experiment : result.experiments()) {
      assertEquals(null, experiment.error(), result.table());
    }
    assertTrue(progress.stream().anyMatch(line -> line.matches(decision)), "the search decided: " + progress);
    return result;
  }


  /**
   * A search's cost cap is shared out: each experiment starts capped at an equal part of what is left for those not
   * ended yet, so the four experiments (which would train for a minute, never converging) all run, each stopping at
   * its part with its model kept, where the whole cap at once let the first two spend it and the last two never
   * start; the search's cost stays near its cap.
   */
  @Test
  void aCostCapIsSharedSoEveryExperimentRunsWithinIt() throws Exception {
    try (EmbeddedS3Server server = EmbeddedS3Server.start(dir); Shards shards = Shards.inProcess(2)) {
      ObjectStore store = ObjectStore.of(server.spec());
      double cap = 0.00003; // two experiments of one 512 MB worker: about 1.8 s each
      List<String> progress = new CopyOnWriteArrayList<>();
      SearchResult result = plantedSearch(store, shards, progress::add).maxCost(cap)
          .run(neverConverging(0.01f, 0.02f, 0.05f, 0.1f), id -> S3Path.parse("s3://search/capped/" + id + "/model.bin"));
      assertEveryOneRanWithItsShare(result, progress, store, "of the search's cost cap");
      for (ExperimentResult experiment : result.experiments()) {
        assertEquals(StopReason.BUDGET, experiment.stopReason(), "stopped at its part of the cap: " + result.table());
      }
      assertTrue(result.totalCost() >= cap / 2 && result.totalCost() < 1.5 * cap, "cost $" + result.totalCost());
    }
  }

  /**
   * A search's deadline is shared out the same way, by time: two at once, each of the four never-converging
   * experiments gets about half of it, and all four run, each stopping at its share with its model kept (the last two
   * may meet the deadline itself first); the search ends within an evaluation or two of its deadline.
   */
  @Test
  void aDeadlineIsSharedSoEveryExperimentRunsAndTheSearchEndsByIt() throws Exception {
    try (EmbeddedS3Server server = EmbeddedS3Server.start(dir); Shards shards = Shards.inProcess(2)) {
      ObjectStore store = ObjectStore.of(server.spec());
      List<String> progress = new CopyOnWriteArrayList<>();
      long started = System.nanoTime();
      SearchResult result = plantedSearch(store, shards, progress::add).deadline(Duration.ofSeconds(4))
          .run(neverConverging(0.01f, 0.02f, 0.05f, 0.1f),
              id -> S3Path.parse("s3://search/deadline/" + id + "/model.bin"));
      double seconds = (System.nanoTime() - started) / 1e9;
      assertEveryOneRanWithItsShare(result, progress, store, "left before the search's deadline");
      for (int id : new int[] {0, 1}) {
        ExperimentResult first = byId(result, id);
        assertEquals(StopReason.TIMEOUT, first.stopReason(), "stopped at its share: " + result.table());
        assertTrue(first.seconds() < 3.5, "its share was about 2 s of the 4: " + result.table());
      }
      assertTrue(seconds < 7, "ended " + seconds + " s after its start, its deadline 4 s");
    }
  }

  /** Experiments that train until their timeout (a minute) unless stopped: their monitor's epsilon is 0. */
  private static List<Experiment> neverConverging(float... rates) {
    return experiments(rates).stream()
        .map(e -> new Experiment(e.id(), e.parameters(), new TrainingSpec(1, 2, 512, Optimizer.ADAGRAD,
            e.spec().learningRate(), 20, 0f, 0, 6, 60, 200, 0, 4, 7, false, 600, 3)))
        .toList();
  }

  /**
   * Every experiment started with its share of the budget (a console line naming {@code share}), trained and kept its
   * model, and the best of them is the search's model.
   */
  private static void assertEveryOneRanWithItsShare(SearchResult result, List<String> progress, ObjectStore store,
      String share) {
    System.out.println(String.join("\n", progress) + "\n" + result.table());
    for (ExperimentResult ran : result.experiments()) {
      assertTrue(ran.updates() > 0 && store.exists(S3Path.parse(ran.modelPath())), "ran and kept its model: "
          + result.table());
      String start = "experiment " + ran.id() + " ";
      assertTrue(progress.stream().anyMatch(line -> line.startsWith(start) && line.contains(share)),
          "experiment " + ran.id() + " was given its share: " + progress);
    }
    assertTrue(result.bestModelPath() != null, "the best of them is the search's model");
  }

  /** A console writing plain lines into {@code shown}, as it does where standard output is no terminal. */
  private static ConsoleView plainConsole(ByteArrayOutputStream shown) {
    return new ConsoleView(new PrintStream(shown, true, StandardCharsets.UTF_8), false, System::nanoTime,
        5_000_000_000L);
  }

  private static ExperimentResult byId(SearchResult result, int id) {
    return result.experiments().stream().filter(e -> e.id() == id).findFirst().orElseThrow();
  }
  /**
   * A search's shard dies while an experiment runs, then its driver does (its shard processes and worker threads end
   * at once, nothing is closed cleanly). The shard comes back from its snapshot and the dashboard's state marks the
   * restart on the experiment; the same search run again, on shards started on the same checkpoint location,
   * continues the experiment from its snapshots and the workers' recorded positions, not from an untrained model.
   */
  @Test
  void aSearchShowsAShardRestartAndAfterItsDriverDiedContinuesItsExperimentFromItsSnapshots() throws Exception {
    try (EmbeddedS3Server server = EmbeddedS3Server.start(dir)) {
      ObjectStore store = ObjectStore.of(server.spec());
      S3Path prefix = S3Path.parse("s3://search/died/");
      S3Path checkpoint = prefix.resolve("shards/");
      // Runs until stopped: the first driver dies mid-training, the second is stopped at its second evaluation.
      List<Experiment> experiments = List.of(new Experiment(0, Map.of("learningRate", 0.01f), new TrainingSpec(1, 1,
          512, Optimizer.ADAGRAD, 0.01f, 20, 0f, 0, 1_000, 120, 200, 0, 4, 7, false, 600, 3)));
      Shards firstShards = Shards.processes(1, "256m", false, checkpoint, store.reachableSpec(), 1);
      SearchState dashboard = new SearchState(Prices.AWS_LAMBDA_X86, 512);
      SearchDriver first = plantedSearch(store, firstShards, System.out::println)
          .recordIn(new SearchRecords(store, prefix, "died"))
          .listen(dashboard);
      Thread firstDriver = new Thread(() -> {
        try {
          first.run(experiments, id -> prefix.resolve("experiment-" + id + "/model.bin"));
        } catch (Exception e) {
          System.out.println("the first driver died: " + e);
        }
      });
      firstDriver.setDaemon(true);
      firstDriver.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (!store.exists(prefix.resolve("resume/0"))) {
        assertTrue(System.nanoTime() < deadline && firstDriver.isAlive(), "experiment 0 left no resume point");
        Thread.sleep(50);
      }
      Thread.sleep(1_200); // a snapshot (every second) taken after some updates
      firstShards.killShard(0);
      JsonNode restart;
      while ((restart = new ObjectMapper().readTree(dashboard.toJson()).path("experiments").get(0)
          .path("shardRestarts").get(0)) == null) {
        assertTrue(System.nanoTime() < deadline && firstDriver.isAlive(), "the dashboard shows no shard restart");
        Thread.sleep(50);
      }
      assertEquals(0, restart.get("shard").asInt(), restart.toString());
      assertTrue(restart.get("updates").asLong() > 0, "the clock the shard came back with: " + restart);
      Thread.sleep(1_200); // snapshots again, after the restart
      assertTrue(firstDriver.isAlive(), "the experiment ended before its driver died: the test proves nothing");
      firstShards.close();
      firstDriver.interrupt();

      List<CurvePoint> resumedCurve = new CopyOnWriteArrayList<>();
      ExperimentResult result;
      try (Shards shards = Shards.processes(1, "256m", false, checkpoint, store.reachableSpec(), 1)) {
        SearchDriver second = plantedSearch(store, shards, System.out::println)
            .recordIn(new SearchRecords(store, prefix, "died"));
        second.listen(new SearchListener() {
          @Override
          public void evaluated(int id, CurvePoint point) {
            resumedCurve.add(point);
            if (resumedCurve.size() == 2) {
              second.stop(id);
            }
          }
        });
        result = second.run(experiments, id -> prefix.resolve("experiment-" + id + "/model.bin")).experiments().get(0);
      }
      assertEquals(ExperimentResult.RESUMED_FROM_SNAPSHOTS, result.resumed(), result.toString());
      assertTrue(resumedCurve.get(0).updates() > 0,
          "the resumed experiment's first evaluation is of its restored model: " + resumedCurve);
      // An untrained (all-zero) model scores exactly ln 2 on every row.
      assertTrue(resumedCurve.get(0).validationLoss() < Math.log(2) - 1e-3,
          "the restored model is trained, not an untrained one: " + resumedCurve);
      assertEquals(StopReason.KILLED, result.stopReason());
    }
  }
}
