package dev.stratus.jobs.search;

import dev.stratus.jobs.train.CannotResumeException;
import dev.stratus.jobs.train.CurvePoint;
import dev.stratus.jobs.train.Prices;
import dev.stratus.jobs.train.Shards;
import dev.stratus.jobs.train.StopReason;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.jobs.train.TrainingDriver;
import dev.stratus.jobs.train.TrainingSpec;
import dev.stratus.jobs.train.WorkerLauncher;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * The driver of a hyperparameter search: runs its experiments as {@link TrainingDriver}s against one set of shared
 * parameter-server shards (each experiment has a model of its own there, deleted when it ends), at most {@code
 * parallelism} at once (with {@link #AUTO_PARALLELISM}, as many as {@link SearchScaling} finds pay), the others
 * waiting in order. Every evaluation of every experiment goes to the search's
 * {@link Scheduler}, which may stop it; a stopped experiment's place goes to the next waiting one. An experiment that
 * fails is reported as failed and the search goes on.
 *
 * <pre>{@code
 * try (Shards shards = Shards.inProcess(2)) {
 *   SearchDriver search = new SearchDriver(store, store.reachableSpec(), train, validationRows, shards,
 *       () -> new ThreadWorkers(512), Prices.AWS_LAMBDA_X86, Scheduler.stopDiverged(3), 2, System.out::println);
 *   SearchResult result = search.run(experiments, id -> S3Path.parse("s3://models/search/" + id + "/model.bin"));
 * }
 * }</pre>
 */
public final class SearchDriver {
  /** The least an experiment gets of a deadline or a cost cap, so that its share is never nothing. */
  private static final double MIN_SHARE_SECONDS = 0.1;
  private static final double MIN_SHARE_DOLLARS = 1e-9;

  /** The {@code parallelism} of a search whose driver chooses how many experiments run at once. */
  public static final int AUTO_PARALLELISM = 0;

  private final ObjectStore store;
  private final StoreSpec workerStore;
  private final Dataset train;
  private final SparseRow[] validation;
  private final Shards shards;
  private final Supplier<WorkerLauncher> launchers;
  private final Prices prices;
  private final Scheduler scheduler;
  private final int parallelism;
  /** With {@link #AUTO_PARALLELISM}, what decides how many run at once; else null. */
  private SearchScaling scaling;
  /** Where this run's experiments wait their turn. */
  private Places places;
  /** Evaluations each running experiment has made: its first ones are its start, not its pace. */
  private final Map<Integer, Integer> evaluations = new ConcurrentHashMap<>();
  private final Consumer<String> progress;
  private final Map<Integer, TrainingDriver> running = new ConcurrentHashMap<>();
  private final Set<Integer> killed = ConcurrentHashMap.newKeySet();
  private SearchRecords records;
  private final List<SearchListener> listeners = new CopyOnWriteArrayList<>();
  /** 0: no cap. */
  private double maxCostDollars;
  /** How long the search may run, from its start; 0: no deadline. */
  private long deadlineNanos;
  private volatile long startNanos;
  /** What of the search's budget ran out (its cost cap, its deadline), once it did; null until then. */
  private volatile String budgetSpent;
  /** What each ended experiment's workers cost. */
  private final Map<Integer, Double> endedCosts = new ConcurrentHashMap<>();
  /**
   * The experiments this run trains (a resumed search's recorded ones aside): less those in {@link #endedCosts}, the
   * ones not ended yet.
   */
  private int toRun;

  /**
   * @param workerStore the store as workers reach it
   * @param validation the rows every experiment is evaluated on
   * @param launchers makes the worker launcher of one experiment (closed when it ends)
   * @param parallelism experiments at once, or {@link #AUTO_PARALLELISM}
   * @param progress where each experiment's lines go, prefixed with its number and parameters
   */
  public SearchDriver(
      ObjectStore store,
      StoreSpec workerStore,
      Dataset train,
      SparseRow[] validation,
      Shards shards,
      Supplier<WorkerLauncher> launchers,
      Prices prices,
      Scheduler scheduler,
      int parallelism,
      Consumer<String> progress) {
    if (parallelism < AUTO_PARALLELISM) {
      throw new IllegalArgumentException("a search's parallelism must be at least 1 (0: chosen by the search), got "
          + parallelism);
    }
    this.store = store;
    this.workerStore = workerStore;
    this.train = train;
    this.validation = validation;
    this.shards = shards;
    this.launchers = launchers;
    this.prices = prices;
    this.scheduler = scheduler;
    this.parallelism = parallelism;
    this.progress = progress;
  }

  /**
   * Caps what the experiments' workers cost in all at {@code dollars}: each experiment starts with a cap of its own,
   * an equal part of what is left for those not ended yet, and stops at it with its best model so far (as
   * {@link StopReason#BUDGET}). Should the search's workers still reach the cap (those that ended at their prices, the
   * running ones as far as their last evaluation), the running experiments stop there and the waiting ones do not
   * start, and the search ranks what it has.
   */
  public SearchDriver maxCost(double dollars) {
    if (!(dollars > 0 && dollars < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException("a search's cost cap must be above 0 dollars, got " + dollars);
    }
    this.maxCostDollars = dollars;
    return this;
  }

  /**
   * Ends the search {@code deadline} after it started: each experiment starts with a timeout of its own, its share of
   * the time left (what each experiment not ended yet gets with the experiments at once taking turns), so that every
   * experiment runs; one that reaches it stops with its best model so far (as {@link StopReason#TIMEOUT}). At the
   * deadline itself the running experiments stop (at their next evaluation) and the waiting ones do not start, all as
   * {@link StopReason#BUDGET}, and the search ranks what it has.
   */
  public SearchDriver deadline(Duration deadline) {
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("a search's deadline must be after its start, got " + deadline);
    }
    this.deadlineNanos = deadline.toNanos();
    return this;
  }

  /**
   * Tells {@code listener} of every experiment's start, evaluations and end. The trainings print no line per
   * evaluation then: the listeners show them.
   */
  public SearchDriver listen(SearchListener listener) {
    listeners.add(listener);
    return this;
  }

  /**
   * Records every experiment's start and result in {@code searchRecords} as it goes, and, when they hold an earlier
   * run's, resumes that run: a finished experiment is not run again; one that was running continues from its
   * snapshots where the shards keep them (processes with a checkpoint location, started again on it), else starts
   * from scratch.
   */
  public SearchDriver recordIn(SearchRecords searchRecords) {
    this.records = searchRecords;
    return this;
  }

  /**
   * Runs every experiment to its end and ranks them; experiment {@code id}'s kept model goes to {@code
   * modelPath.apply(id)}.
   */
  public SearchResult run(List<Experiment> experiments, IntFunction<S3Path> modelPath) throws InterruptedException {
    if (experiments.isEmpty()) {
      throw new IllegalArgumentException("a search needs at least one experiment");
    }
    SearchRecords.Earlier earlier =
        records == null ? new SearchRecords.Earlier(Map.of(), Set.of()) : records.open(experiments, train.location());
    Scheduler.Judge judge = scheduler.newJudge();
    // The scheduler sees the recorded experiments' curves again, so their losses count at the rungs as before.
    for (ExperimentResult recorded : earlier.finished().values()) {
      recorded.curve().forEach(point -> judge.observe(recorded.id(), point));
    }
    for (Experiment experiment : experiments) {
      listeners.forEach(listener -> listener.waiting(experiment));
    }
    long start = System.nanoTime();
    startNanos = start;
    toRun = (int) experiments.stream().filter(e -> !earlier.finished().containsKey(e.id())).count();
    places = new Places();
    if (parallelism == AUTO_PARALLELISM) {
      int workersEach = experiments.stream()
          .mapToInt(e -> e.spec().workers() == TrainingSpec.AUTO_WORKERS ? 1 : e.spec().workers())
          .min().orElse(1);
      int cores;
      try (WorkerLauncher launcher = launchers.get()) {
        cores = launcher.mostComputingAtOnce();
      }
      // workers that share this machine's cores are at most its cores, as a training's own are
      int most = Math.max(1, cores == Integer.MAX_VALUE ? toRun : Math.min(toRun, cores / workersEach));
      scaling = new SearchScaling(most);
      places.limit(scaling.count());
      progress.accept("experiments at once: " + scaling.count() + " to start, doubled while each still trains"
          + " nearly as fast" + (most < toRun ? " (at most " + most + ")" : ""));
      if (most < toRun && scaling.settled()) {
        int count = scaling.count();
        String reason = String.format("%d is the most whose workers (%d each) keep this machine's %d cores computing",
            count, workersEach, cores);
        progress.accept(String.format("experiments at once settle at %d: %s", count, reason));
        listeners.forEach(listener -> listener.experimentsAtOnce(count, count, reason));
      }
    } else {
      places.limit(parallelism);
    }
    // a thread an experiment, each waiting its turn at the places
    ExecutorService threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread thread = new Thread(r, "search-experiment");
              thread.setDaemon(true);
              return thread;
            });
    List<ExperimentResult> results = new ArrayList<>();
    try {
      List<Future<ExperimentResult>> futures = new ArrayList<>();
      int turns = 0;
      for (Experiment experiment : experiments) {
        ExperimentResult recorded = earlier.finished().get(experiment.id());
        if (recorded != null) {
          ExperimentResult reused = recorded.resumedAs(ExperimentResult.RECORDED);
          listeners.forEach(listener -> listener.ended(reused));
          futures.add(CompletableFuture.completedFuture(reused));
          continue;
        }
        String resumed = !earlier.started().contains(experiment.id()) ? null
            : hasResumePoint(experiment.id()) ? ExperimentResult.RESUMED_FROM_SNAPSHOTS
            : ExperimentResult.RESTARTED_FROM_SCRATCH;
        int turn = turns++;
        futures.add(threads.submit(() -> {
          places.enter(turn);
          try {
            return runOne(experiment, judge, modelPath.apply(experiment.id()), resumed);
          } finally {
            places.leave();
          }
        }));
      }
      for (Future<ExperimentResult> future : futures) {
        try {
          results.add(future.get());
        } catch (ExecutionException e) {
          throw new IllegalStateException("an experiment's thread failed outside its training", e.getCause());
        }
      }
    } finally {
      // Interrupted: the running experiments are stopped (their threads interrupted) and their models deleted.
      threads.shutdownNow();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return rank(results, seconds);
  }

  /**
   * {@link StopReason#BUDGET} once the experiments' workers have cost the search's cap or its deadline passed, stopping
   * every running one as well (said once), else null: called after each evaluation of each experiment, on its driver's
   * thread, and before an experiment starts.
   */
  private StopReason overBudget() {
    String spent = budgetSpent != null ? budgetSpent : spentBudget();
    if (spent == null) {
      return null;
    }
    synchronized (this) {
      if (budgetSpent == null) {
        budgetSpent = spent;
        progress.accept(spent + "; the running ones stop with their best models, the waiting ones do not start");
        running.values().forEach(job -> job.stop(StopReason.BUDGET));
      }
    }
    return StopReason.BUDGET;
  }

  /**
   * {@code spec} with, under the search's deadline or cost cap, the experiment's share of what is left of it: of the
   * time, as much as each experiment not ended yet (this one included) gets with the experiments at once taking turns;
   * of the dollars, an equal part for each of them. A budget too small for every experiment to train as long as it
   * would shortens each, instead of leaving the last ones unstarted, and what an experiment leaves unused goes to the
   * ones after it. Said on the console when it shortens the experiment; the search's own stop stays the last word.
   */
  private TrainingSpec withItsShare(TrainingSpec spec, String name) {
    int unfinished = Math.max(1, toRun - endedCosts.size());
    double seconds = spec.timeoutSeconds();
    double dollars = spec.maxCostDollars();
    List<String> shares = new ArrayList<>();
    if (deadlineNanos > 0) {
      double left = (deadlineNanos - (System.nanoTime() - startNanos)) / 1e9;
      int atOnce = Math.min(places.limit(), unfinished);
      double share = Math.max(MIN_SHARE_SECONDS, left * atOnce / unfinished);
      if (share < seconds) {
        seconds = share;
        shares.add(String.format("%.1f s, its share of the %.1f s left before the search's deadline (%d experiments"
            + " to end, %d at once)", share, left, unfinished, atOnce));
      }
    }
    if (maxCostDollars > 0) {
      double left = maxCostDollars - spentSoFar();
      double share = Math.max(MIN_SHARE_DOLLARS, left / unfinished);
      if (dollars == 0 || share < dollars) {
        dollars = share;
        shares.add(String.format("$%.6f, its share of the $%.6f left of the search's cost cap (%d experiments to"
            + " end)", share, left, unfinished));
      }
    }
    if (shares.isEmpty()) {
      return spec;
    }
    progress.accept(name + ": at most " + String.join(" and ", shares));
    return spec.withLimits(seconds, dollars);
  }

  /** What the experiments' workers cost so far: those that ended at their prices, the running ones until now. */
  private double spentSoFar() {
    return endedCosts.values().stream().mapToDouble(Double::doubleValue).sum()
        + running.values().stream().mapToDouble(TrainingDriver::costSoFar).sum();
  }

  /** What of the search's budget has run out, for the console; null while none has. */
  private String spentBudget() {
    long ran = System.nanoTime() - startNanos;
    if (deadlineNanos > 0 && ran >= deadlineNanos) {
      return String.format("deadline reached: the search ran %.1f s of the %.1f s allowed", ran / 1e9,
          deadlineNanos / 1e9);
    }
    if (maxCostDollars <= 0) {
      return null;
    }
    double spent = spentSoFar();
    return spent < maxCostDollars ? null : String.format(
        "cost cap reached: the experiments' workers cost $%.6f of the $%.6f allowed", spent, maxCostDollars);
  }

  /** Stops experiment {@code id} as {@link StopReason#KILLED}: at once if it runs, before it starts if it waits. */
  public void stop(int id) {
    killed.add(id);
    TrainingDriver job = running.get(id);
    if (job != null) {
      job.stop(StopReason.KILLED);
    }
  }

  /** Runs one experiment; a result that is not a failure is recorded, so a resumed search does not run it again. */
  private ExperimentResult runOne(
      Experiment experiment, Scheduler.Judge judge, S3Path modelPath, String resumed) {
    ExperimentResult result = trainOne(experiment, judge, modelPath, resumed);
    endedCosts.put(experiment.id(), result.cost());
    if (records != null && result.error() == null) {
      records.finished(result);
    }
    listeners.forEach(listener -> listener.ended(result));
    return result;
  }

  /**
   * Where experiment {@code id}'s driver records where its workers are, for a resumed search to continue it from:
   * beside the search's records, when its shards snapshot (the location they snapshot to is shared by every
   * experiment); null otherwise.
   */
  private S3Path resumePoint(int id) {
    return records == null || shards.checkpoint() == null ? null : records.prefix().resolve("resume/" + id);
  }

  private boolean hasResumePoint(int id) {
    S3Path at = resumePoint(id);
    return at != null && store.exists(at);
  }

  private ExperimentResult trainOne(
      Experiment experiment, Scheduler.Judge judge, S3Path modelPath, String resumed) {
    if (ExperimentResult.RESUMED_FROM_SNAPSHOTS.equals(resumed)) {
      try {
        return trainOne(experiment, judge, modelPath, resumed, true);
      } catch (CannotResumeException e) {
        progress.accept("experiment " + experiment.id() + ": " + e.getMessage() + "; restarting it from scratch");
        resumed = ExperimentResult.RESTARTED_FROM_SCRATCH;
      }
    }
    return trainOne(experiment, judge, modelPath, resumed, false);
  }

  /** One training of an experiment; throws only when told to resume and it cannot. */
  private ExperimentResult trainOne(
      Experiment experiment, Scheduler.Judge judge, S3Path modelPath, String resumed, boolean resume) {
    String name = "experiment " + experiment.id() + " (" + experiment.describe() + ")";
    boolean wasKilled = killed.contains(experiment.id());
    boolean overBudget = !wasKilled && overBudget() != null;
    if (wasKilled || overBudget) {
      if (listeners.isEmpty()) { // else a listener shows its end
        progress.accept(name + ": stopped before it started" + (overBudget ? ": " + budgetSpent : ""));
      }
      return new ExperimentResult(experiment.id(), experiment.parameters(),
          overBudget ? StopReason.BUDGET : StopReason.KILLED, Double.NaN, Double.NaN, List.of(), 0, 0, 0, 0, 0, null,
          null, resumed);
    }
    if (records != null) {
      records.started(experiment.id());
    }
    listeners.forEach(listener -> listener.started(experiment, experiment.spec().workers(), resumed));
    long start = System.nanoTime();
    TrainingSpec spec = withItsShare(experiment.spec(), name);
    try (WorkerLauncher launcher = launchers.get();
        TrainingDriver job =
            new TrainingDriver(spec, store, workerStore, train, validation, shards, launcher,
                line -> progress.accept(name + ": " + line))) {
      job.withoutSgdScaling();
      if (!listeners.isEmpty()) {
        job.withoutStatusLines();
      }
      S3Path resumePoint = resumePoint(experiment.id());
      if (resumePoint != null) {
        job.resumableAt(resumePoint);
      }
      if (resume) {
        job.resumingFromSnapshots();
      }
      job.observeShardRestarts(
          restart -> listeners.forEach(listener -> listener.shardRestarted(experiment.id(), restart)));
      listeners.forEach(listener -> listener.counts(experiment.id(), job.updatesName()));
      job.observeWorkers(count -> listeners.forEach(listener -> listener.workers(experiment.id(), count)));
      job.observeScaling(decision -> listeners.forEach(listener -> listener.scaled(experiment.id(), decision)));
      long rowsPerUpdate = job.rowsPerUpdate();
      CurvePoint[] before = new CurvePoint[1];
      job.observeEvaluations(point -> {
        listeners.forEach(listener -> listener.evaluated(experiment.id(), point));
        if (before[0] != null) {
          paced(experiment.id(), rowsPerUpdate * (point.updates() - before[0].updates())
              / (point.seconds() - before[0].seconds()));
        }
        before[0] = point;
        StopReason halved = judge.observe(experiment.id(), point);
        return halved != null ? halved : overBudget();
      });
      running.put(experiment.id(), job);
      if (killed.contains(experiment.id())) {
        job.stop(StopReason.KILLED);
      }
      if (budgetSpent != null) {
        job.stop(StopReason.BUDGET);
      }
      TrainResult trained = job.run(modelPath);
      double seconds = (System.nanoTime() - start) / 1e9;
      List<CurvePoint> curve = trained.curve();
      double last = curve.isEmpty() ? Double.NaN : curve.get(curve.size() - 1).validationLoss();
      double gbSeconds = Prices.gbSeconds(trained);
      long requests = trained.workerGenerations();
      return new ExperimentResult(experiment.id(), experiment.parameters(), trained.stopReason(),
          trained.validationMetrics().loss(), last, curve, seconds, trained.updates(), requests, gbSeconds,
          prices.lambda(gbSeconds, requests), trained.modelPath(), null, resumed);
    } catch (CannotResumeException e) {
      if (resume) {
        throw e;
      }
      return failed(experiment, name, start, e, resumed);
    } catch (Exception e) {
      return failed(experiment, name, start, e, resumed);
    } finally {
      running.remove(experiment.id());
      evaluations.remove(experiment.id());
      if (places.entered() >= toRun) {
        // none waits to start: the later rungs' few experiments may grow into what this one's workers used
        String why = "experiment " + experiment.id() + " ended and none waits to start";
        running.values().forEach(other -> other.reconsiderWorkers(why));
      }
    }
  }

  /**
   * Experiment {@code id} trained {@code rowsPerSecond} since its last evaluation: with {@link #AUTO_PARALLELISM},
   * counted towards how many run at once once every running experiment is past its start.
   */
  private void paced(int id, double rowsPerSecond) {
    if (scaling == null) {
      return;
    }
    evaluations.merge(id, 1, Integer::sum);
    synchronized (scaling) {
      boolean pastStarts = running.keySet().stream().allMatch(r -> evaluations.getOrDefault(r, 0) > 1);
      if (scaling.settled() || !pastStarts) {
        return;
      }
      int from = scaling.count();
      boolean changed = scaling.observe(id, rowsPerSecond, running.size());
      if (changed || scaling.settled()) {
        places.limit(scaling.count());
        progress.accept(changed
            ? String.format("experiments at once %d -> %d: %s", from, scaling.count(), scaling.reason())
            : String.format("experiments at once settle at %d: %s", from, scaling.reason()));
        listeners.forEach(listener -> listener.experimentsAtOnce(from, scaling.count(), scaling.reason()));
      }
    }
  }

  /**
   * Where experiments wait their turn: each starts in its turn, once fewer than the limit run.
   */
  private static final class Places {
    private int limit;
    private int running;
    private int nextTurn;

    synchronized void limit(int count) {
      limit = count;
      notifyAll();
    }

    synchronized int limit() {
      return limit;
    }

    synchronized void enter(int turn) throws InterruptedException {
      while (turn != nextTurn || running >= limit) {
        wait();
      }
      nextTurn++;
      running++;
      notifyAll();
    }

    synchronized void leave() {
      running--;
      notifyAll();
    }

    /** Experiments that entered so far, ended or not. */
    synchronized int entered() {
      return nextTurn;
    }
  }

  private ExperimentResult failed(Experiment experiment, String name, long start, Exception e, String resumed) {
    progress.accept(name + ": failed: " + e.getMessage());
    return new ExperimentResult(experiment.id(), experiment.parameters(), null, Double.NaN, Double.NaN, List.of(),
        (System.nanoTime() - start) / 1e9, 0, 0, 0, 0, null, String.valueOf(e.getMessage()), resumed);
  }

  /**
   * Best finite loss first; the shards' VM time is shared out among the experiments that ran in this run by the time
   * each ran, so their costs add up to the search's (a recorded experiment keeps the cost its run counted).
   */
  private SearchResult rank(List<ExperimentResult> results, double seconds) {
    int shardCount = shards.addresses().size();
    double shardCost = prices.shards(shardCount, seconds);
    double experimentSeconds =
        results.stream().filter(SearchDriver::ranNow).mapToDouble(ExperimentResult::seconds).sum();
    double lambdaCost = results.stream().mapToDouble(ExperimentResult::cost).sum();
    List<ExperimentResult> ranked = new ArrayList<>();
    for (ExperimentResult result : results) {
      double share = experimentSeconds > 0 && ranNow(result) ? shardCost * result.seconds() / experimentSeconds : 0;
      ranked.add(result.withCost(result.cost() + share));
    }
    ranked.sort(
        Comparator.comparing((ExperimentResult r) -> !Double.isFinite(r.bestValidationLoss()))
            .thenComparingDouble(ExperimentResult::bestValidationLoss));
    ExperimentResult best = ranked.get(0);
    String bestModel = Double.isFinite(best.bestValidationLoss()) ? best.modelPath() : null;
    long updates = ranked.stream().mapToLong(ExperimentResult::updates).sum();
    int atOnce = scaling == null ? parallelism : scaling.count();
    return new SearchResult(List.copyOf(ranked), bestModel, seconds, updates, atOnce, shardCount, lambdaCost,
        shardCost, null);
  }

  private static boolean ranNow(ExperimentResult result) {
    return !ExperimentResult.RECORDED.equals(result.resumed());
  }
}
