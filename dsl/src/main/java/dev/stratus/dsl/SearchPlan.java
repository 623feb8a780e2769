package dev.stratus.dsl;

import dev.stratus.jobs.dashboard.SearchDashboard;
import dev.stratus.jobs.search.Experiment;
import dev.stratus.jobs.train.Prices;
import dev.stratus.jobs.search.Scheduler;
import dev.stratus.jobs.search.SearchDriver;
import dev.stratus.jobs.search.SearchListener;
import dev.stratus.jobs.search.SearchRecords;
import dev.stratus.jobs.search.SearchResult;
import dev.stratus.jobs.search.SearchState;
import dev.stratus.jobs.train.ConsoleView;
import dev.stratus.jobs.train.Shards;
import dev.stratus.jobs.train.TrainingSpec;
import dev.stratus.jobs.train.WorkerLauncher;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.io.Serializable;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * A search as built by {@link HyperparameterSearch}, everything its run needs and nothing of the pipeline graph: the
 * same plan runs in the default expansion's DoFn and in LambdaRunner's driver, only the shards and the workers differ.
 *
 * @param transform the transform's name, for messages
 * @param searchId what the search's records in the store are kept under, so a run with the same id resumes it
 * @param baseSpec the base training's spec: the shards' count, and the workers of the default expansion
 * @param maxCostDollars the search's cost cap over all its experiments ({@link SearchDriver#maxCost}); 0 for none
 * @param deadline how long the search may run ({@link SearchDriver#deadline}); null for no deadline
 */
record SearchPlan(
    String transform,
    String searchId,
    List<Experiment> experiments,
    Scheduler scheduler,
    Prices prices,
    int parallelism,
    TrainingSpec baseSpec,
    String modelsTo,
    String resultTo,
    double maxCostDollars,
    Duration deadline)
    implements Serializable {
  /** How long the dashboard may wait, once the search ended, for an open page (polling every second) to see it. */
  private static final Duration DASHBOARD_AFTER_THE_END = Duration.ofSeconds(5);

  /**
   * Runs the search on {@code train} with its dashboard if {@code options} want one ({@link DashboardOptions}), writes
   * its result as JSON, prints its table, and returns it.
   */
  SearchResult run(
      ObjectStore store,
      StoreSpec workerStore,
      Dataset train,
      SparseRow[] validationRows,
      Shards shards,
      Supplier<WorkerLauncher> launchers,
      int workerMemoryMb,
      PipelineOptions options)
      throws InterruptedException {
    S3Path models = prefix(train);
    S3Path resultPath = resultTo != null ? S3Path.parse(resultTo) : models.resolve("search-result.json");
    System.out.printf("%s %s: %d experiments on %s, %s at a time, against %d shared parameter-server shards;"
            + " records under %s (run again with searchId(\"%s\") to resume it)%n",
        transform, searchId, experiments.size(), train.location(),
        parallelism == SearchDriver.AUTO_PARALLELISM ? "as many as pay" : Integer.toString(parallelism),
        shards.count(), models, searchId);
    SearchResult result;
    try (ConsoleView console = ConsoleView.onStandardOutput()) {
      SearchState state = new SearchState(prices, workerMemoryMb);
      SearchDriver search =
          new SearchDriver(store, workerStore, train, validationRows, shards, launchers, prices,
                  scheduler, parallelism, console::message)
              .recordIn(new SearchRecords(store, models, searchId))
              .listen(SearchListener.showingOn(console))
              .listen(state);
      if (maxCostDollars > 0) {
        search.maxCost(maxCostDollars);
      }
      if (deadline != null) {
        search.deadline(deadline);
      }
      SearchDashboard dashboard = DashboardOptions.start(options, transform, state, search::stop);
      try {
        result = search.run(experiments, id -> models.resolve("experiment-" + id + "/model.bin"))
            .writtenTo(resultPath.toString());
      } finally {
        if (dashboard != null) {
          dashboard.closeOnceShownFinished(DASHBOARD_AFTER_THE_END);
        }
      }
    }
    store.put(resultPath, result.toJson());
    System.out.println(result.table());
    return result;
  }

  /** Where this search keeps its models and records: the same for every run with its id. */
  private S3Path prefix(Dataset train) {
    if (modelsTo != null) {
      return S3Path.parse(modelsTo).resolve(searchId + "/");
    }
    return SgdTraining.modelsOf(train, "-search-" + searchId);
  }

  /**
   * Where the shards this search starts as processes snapshot its experiments' models: under its records, so that a
   * run of the same search id finds them, and no other search's shards restore them.
   */
  S3Path shardCheckpoint(Dataset train) {
    return prefix(train).resolve("shards/");
  }

  /** A new search's id: its start time and a random suffix, e.g. 20261202-031907-4f2a. */
  static String freshId() {
    return LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-"
        + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
  }
}
