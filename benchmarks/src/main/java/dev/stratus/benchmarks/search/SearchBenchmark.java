package dev.stratus.benchmarks.search;

import dev.stratus.jobs.search.Experiment;
import dev.stratus.jobs.search.ExperimentResult;
import dev.stratus.jobs.train.Prices;
import dev.stratus.jobs.search.Scheduler;
import dev.stratus.jobs.search.SearchDriver;
import dev.stratus.jobs.search.SearchListener;
import dev.stratus.jobs.search.SearchResult;
import dev.stratus.jobs.train.CurvePoint;
import dev.stratus.jobs.train.Shards;
import dev.stratus.jobs.train.ThreadWorkers;
import dev.stratus.jobs.train.TrainingSpec;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.dataset.DatasetWriter;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.ps.Optimizer;
import dev.stratus.store.EmbeddedS3Server;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One 12-experiment grid (six learning rates by two minibatch sizes) searched three ways on the same generated data,
 * against in-process parameter-server shards with worker threads: one experiment at a time, two and four at once, as
 * many at once as the search chooses ({@link SearchDriver#AUTO_PARALLELISM}), and four at once and the search's choice
 * with successive halving. For each: the wall time, the time until the best loss the search ends with was
 * first seen, the updates spent and the cost (Lambda GB-seconds and requests at AWS's published prices, and the
 * shards' VMs at an hourly price). Prints a markdown table and writes it to {@code benchmarks/results/search.md}.
 *
 * <pre>mvn -q -pl benchmarks exec:java@search [-Dexec.args="--rows 200000 --seconds 60"]</pre>
 */
public final class SearchBenchmark {
  private static final int FEATURES = 2_000;
  private static final Number[] LEARNING_RATES = {0.01, 0.03, 0.1, 0.3, 1.0, 3.0};
  private static final Number[] MINIBATCH_SIZES = {20, 200};
  private static final int WORKER_MEMORY_MB = 512;
  /** A t3.medium on demand in us-east-1, the size of VM one shard needs here. */
  private static final double SHARD_PER_HOUR = 0.0416;

  private SearchBenchmark() {}

  private static final int AUTO = SearchDriver.AUTO_PARALLELISM;

  /** One way of running the grid. */
  /** A way to run the grid; {@code deadline} null for none. */
  private record Way(String name, int parallelism, Scheduler scheduler, Duration deadline) {
    Way(String name, int parallelism, Scheduler scheduler) {
      this(name, parallelism, scheduler, null);
    }
  }

  /** What one way measured. */
  private record Outcome(Way way, SearchResult result, double secondsToBest) {}

  public static void main(String[] args) throws Exception {
    int rows = 40_000;
    int seconds = 15;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Integer.parseInt(args[i + 1]);
        case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException(
            "unknown argument " + args[i] + " (--rows N training rows, --seconds S each experiment's time limit)");
      }
    }
    double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    Path dir = Files.createTempDirectory("stratus-search-benchmark");
    List<Outcome> outcomes = new ArrayList<>();
    try (EmbeddedS3Server server = EmbeddedS3Server.start(dir)) {
      ObjectStore store = ObjectStore.of(server.spec());
      store.ensureBucket("bench");
      PlantedData data = new PlantedData(FEATURES, rows, 5_000, 3);
      Dataset train = DatasetWriter.write(store, S3Path.parse("s3://bench/search/train"), data.train,
          DatasetManifest.template(FEATURES, List.of(), "planted", null), 10_000);
      SparseRow[] validation = data.test.toArray(new SparseRow[0]);
      List<Experiment> grid = grid(seconds);
      System.out.printf(Locale.ROOT, "search benchmark: %d experiments (learning rate %s by minibatch size %s), each"
              + " at most %d s, 1 worker each; %,d training rows, %,d validation rows, %,d features; %d cores, load"
              + " average %.2f%n%n", grid.size(), List.of(LEARNING_RATES), List.of(MINIBATCH_SIZES), seconds, rows,
          validation.length, FEATURES, Runtime.getRuntime().availableProcessors(), loadBefore);
      // Rungs at a fifth of an experiment's time limit, then two fifths and four fifths, keeping the best half.
      Scheduler halving = Scheduler.successiveHalvingBySeconds(seconds / 5.0, 2, 0);
      for (Way way : List.of(new Way("one at a time", 1, Scheduler.none()), new Way("2 at once", 2, Scheduler.none()),
          new Way("4 at once", 4, Scheduler.none()), new Way("chosen by the search", AUTO, Scheduler.none()),
          new Way("4 at once, successive halving", 4, halving),
          new Way("chosen by the search, successive halving", AUTO, halving),
          // a third of what the grid takes at 2 at once: every experiment gets its share of it
          new Way("2 at once, a deadline of " + seconds * 2 + " s", 2, Scheduler.none(),
              Duration.ofSeconds(seconds * 2L)))) {
        System.out.println("== " + way.name());
        outcomes.add(run(way, store, train, validation, grid));
      }
    }
    double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    String table = table(outcomes, rows, seconds, loadBefore, loadAfter);
    System.out.println(table);
    Path results = Path.of(System.getProperty("benchmarks.dir", "benchmarks")).toAbsolutePath().resolve("results");
    Files.createDirectories(results);
    Files.writeString(results.resolve("search.md"), table);
    System.out.println("written to " + results.resolve("search.md"));
    System.exit(0);
  }

  private static List<Experiment> grid(int seconds) {
    List<Experiment> experiments = new ArrayList<>();
    for (Number rate : LEARNING_RATES) {
      for (Number minibatch : MINIBATCH_SIZES) {
        Map<String, Number> parameters = new LinkedHashMap<>();
        parameters.put("learningRate", rate);
        parameters.put("minibatchSize", minibatch);
        TrainingSpec spec = new TrainingSpec(1, 1, WORKER_MEMORY_MB, Optimizer.ADAGRAD, rate.floatValue(),
            minibatch.intValue(), 0f, 1e-4, 6, seconds, 500, 0, 4, 7, false, seconds + 60, 3);
        experiments.add(new Experiment(experiments.size(), parameters, spec));
      }
    }
    return experiments;
  }

  /** Runs the grid {@code way}, noting when each evaluation was seen since the search started. */
  private static Outcome run(
      Way way, ObjectStore store, Dataset train, SparseRow[] validation, List<Experiment> grid) throws Exception {
    long start = System.nanoTime();
    List<double[]> seen = new ArrayList<>(); // {seconds since the search started, loss}
    SearchListener timing = new SearchListener() {
      @Override
      public void evaluated(int id, CurvePoint point) {
        synchronized (seen) {
          seen.add(new double[] {(System.nanoTime() - start) / 1e9, point.validationLoss()});
        }
      }
    };
    String prefix = "s3://bench/search/" + way.name().replaceAll("[^a-z0-9]+", "-") + "/";
    try (Shards shards = Shards.inProcess(1)) {
      SearchDriver search = new SearchDriver(store, store.reachableSpec(), train, validation, shards,
          () -> new ThreadWorkers(WORKER_MEMORY_MB),
          new Prices(Prices.AWS_LAMBDA_X86.perGbSecond(), Prices.AWS_LAMBDA_X86.perMillionRequests(), SHARD_PER_HOUR),
          way.scheduler(), way.parallelism(), line -> {
            if (line.startsWith("experiments at once") || line.contains("its share of")) {
              System.out.println(line); // the search's decisions, and why
            }
          })
          .listen(timing);
      if (way.deadline() != null) {
        search.deadline(way.deadline());
      }
      SearchResult result = search.run(grid, id -> S3Path.parse(prefix + "experiment-" + id + "/model.bin"));
      System.out.println(result.table());
      double best = result.best().bestValidationLoss();
      double secondsToBest = seen.stream().filter(s -> s[1] <= best).mapToDouble(s -> s[0]).min().orElse(Double.NaN);
      return new Outcome(way, result, secondsToBest);
    }
  }

  private static String table(List<Outcome> outcomes, int rows, int seconds, double loadBefore, double loadAfter) {
    StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
        "12-experiment grid, %,d training rows, at most %d s per experiment; %d cores, load average %.2f before and"
            + " %.2f after%n%n", rows, seconds, Runtime.getRuntime().availableProcessors(), loadBefore, loadAfter));
    text.append("| schedule | at once | wall s | s until the best loss was seen | best loss | experiments that trained"
        + " | updates | halved | GB-s | Lambda $ | shards $ | total $ |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Outcome o : outcomes) {
      SearchResult r = o.result();
      long halved = r.experiments().stream().filter(e -> "halved".equals(e.state())).count();
      double gbSeconds = r.experiments().stream().mapToDouble(ExperimentResult::gbSeconds).sum();
      long trained = r.experiments().stream().filter(e -> e.updates() > 0).count();
      text.append(String.format(Locale.ROOT,
          "| %s | %s | %.1f | %.1f | %.5f | %d | %,d | %d | %.1f | %.6f | %.6f | %.6f |%n",
          o.way().name(), o.way().parallelism() == AUTO ? "settled at " + r.parallelism() : r.parallelism(),
          r.seconds(), o.secondsToBest(), r.best().bestValidationLoss(), trained, r.updates(), halved,
          gbSeconds, r.lambdaCost(), r.shardCost(), r.totalCost()));
    }
    return text.toString();
  }
}
