package dev.stratus.jobs.train;

import dev.stratus.jvm.DaemonThreadFactory;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.dataset.PartitionInfo;
import dev.stratus.kernels.iterate.MinibatchIterator.Position;
import dev.stratus.kernels.sgd.ClassifierMetrics;
import dev.stratus.kernels.sgd.LinearModel;
import dev.stratus.kernels.sgd.LinearObjective;
import dev.stratus.kernels.sgd.ModelMetrics;
import dev.stratus.kernels.sgd.TrainedModel;
import dev.stratus.kernels.solve.Lbfgs;
import dev.stratus.ps.ConnectionLostException;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The driver of a training job, wherever its workers run ({@link WorkerLauncher}) and wherever its shards are: it
 * creates the model on the shards, starts one worker generation per worker, starts a successor when a generation
 * hands over (at its lifetime) or dies (from the position it last recorded), evaluates the validation loss at every
 * interval, stops on convergence, divergence, the time budget or the end of the data, and keeps the best model.
 *
 * <pre>{@code
 * try (Shards shards = Shards.inProcess(2); WorkerLauncher workers = new ThreadWorkers(512);
 *     TrainingDriver job = new TrainingDriver(spec, store, store.reachableSpec(), train, validationRows, shards, workers,
 *         System.out::println)) {
 *   TrainResult result = job.run(modelPath);
 * }
 * }</pre>
 */
public final class TrainingDriver implements AutoCloseable {
  /** Training rows a factorization's starting mean is read from. */
  private static final int MEAN_LABEL_ROWS = 100_000;
  /** How long stopped workers get to return before they are killed. */
  private static final long STOP_GRACE_SECONDS = 60;
  /**
   * How long a round waits on workers the service refuses (their calls throttled) before the driver goes on without
   * them: long enough for a slot freed a moment later to take them.
   */
  private static final long REFUSED_SECONDS = 2;
  /** How long a generation killed at the stop may take to be queued for its record. */
  private static final long KILLED_QUEUED_SECONDS = 5;
  /** The console gets an evaluation's line at most this often, however often the pace evaluates. */
  private static final double STATUS_LINE_SECONDS = 0.5;
  /** Tells apart the models of jobs started in the same nanosecond (jobs of a search share the shards). */
  private static final AtomicLong JOBS = new AtomicLong();
  /**
   * An {@link Solver#LBFGS} training has converged at a penalty once two steps in a row each gain less than this share
   * of the objective: well below what tells models apart on a validation set, and above the float sums' noise. At
   * 1e-6 the peers benchmark's million rows took twice the passes (102 against 52) for 0.01% of test loss.
   */
  private static final double QUASI_NEWTON_TOLERANCE = 1e-5;
  /**
   * Along the penalty path each penalty is converged sooner, at this share, and the best one's search is taken up
   * again to {@link #QUASI_NEWTON_TOLERANCE} once the path ends. At the tight tolerance, the penalties the path passes
   * through spent most of their passes on gains the validation rows could not see (the peers benchmark's C = 0.01: 60
   * of its 82 passes); at 1e-3, a weaker penalty's few passes from the stronger one's optimum may not yet show that it
   * is better, and the path would end too soon.
   */
  private static final double PATH_TOLERANCE = 1e-4;
  /**
   * Times in a row the workers may abandon a round at one point (a shard lost or restarting) before the job fails: a
   * call that fails for good fails every round.
   */
  private static final int MAX_ABANDONED_ROUNDS = 10;
  /**
   * An {@link Solver#LBFGS} training writes its {@link QuasiNewtonPoint} at most this often (and at every penalty's
   * optimum): a driver that dies loses at most this much of its solve.
   */
  private static final long SOLVER_POINT_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** The most workers a training with no count set grows to. */
  private static final int MAX_AUTO_WORKERS = 64;
  /** The most shards a training with no count set uses: its rounds over them, or its SGD model moved onto them. */
  private static final int MAX_AUTO_SHARDS = 8;
  private static final DaemonThreadFactory SHARD_STARTER = new DaemonThreadFactory("stratus-shard-start");
  /** Put into {@link #ended} to wake the driver loop when someone asks the job to stop. */
  private static final Slot WAKE_UP = new Slot(-1);
  /**
   * How long a finished training waits to hear what became of a shard it heard die: a replacement has a minute to
   * listen ({@code PsProcesses}), then its metrics are read.
   */
  private static final long SHARD_REPORT_WAIT_NANOS = TimeUnit.SECONDS.toNanos(90);

  /**
   * Sees every validation evaluation as the job goes (a search's scheduler), and may stop the job there.
   */
  public interface EvaluationObserver {
    /** Called on the driver's thread after each evaluation; returns why to stop now, or null to go on. */
    StopReason observe(CurvePoint point);
  }

  private final TrainingSpec spec;
  private final ObjectStore store;
  private final StoreSpec workerStore;
  private final Dataset train;
  private final SparseRow[] validation;
  private SparseRow[] testCurve;
  private final Shards shards;
  private final WorkerLauncher launcher;
  private final Consumer<String> progress;
  /** Scores a training's accepted L-BFGS iterates on the validation rows beside its rounds. */
  private final ExecutorService scorer = Executors.newSingleThreadExecutor(new DaemonThreadFactory("stratus-scorer"));
  private String modelName;
  private final List<Slot> slots = new ArrayList<>();
  private boolean resumable;
  /** Where the resume point goes; null for the shards' checkpoint location's own ({@link ResumePoint#at}). */
  private S3Path resumePointAt;
  private boolean resume;
  /** The model's clock when this job took over from a dead driver's snapshots; -1 for a fresh job. */
  private long resumedAtUpdates = -1;
  private final List<GenerationRecord> generations = new ArrayList<>();
  private final List<ShardRestart> shardRestarts = new ArrayList<>();
  /** What the shards' watcher told, for the driver's loop to act on: record a restart, or fail the job. */
  private final Queue<ShardEvent> shardEvents = new ConcurrentLinkedQueue<>();
  private AutoCloseable restartsHeard = () -> {};
  /** Guards {@link #shardsDown}, and is told when one is heard back from. */
  private final Object shardReports = new Object();
  /** Shards heard to have died and not heard back from since: a result waits for them, to say what they lost. */
  private int shardsDown;
  /** The shards an {@link Solver#LBFGS} training's rounds are over, the job's and those added; null for SGD. */
  private RoundShards roundShards;
  private final BlockingQueue<Slot> ended = new LinkedBlockingQueue<>();
  private final StepTimes times = new StepTimes();
  private long stallNanos;
  private long start;
  /** Where {@link #start} is set at {@link #run}: when the caller began launching the job, or null for then. */
  private Long launchedAt;
  private long startMillis;
  private volatile boolean stopping;
  private volatile StopReason stopRequested;
  private EvaluationObserver observer = point -> null;
  private Consumer<ShardRestart> restartObserver = restart -> {};
  private IntConsumer workersObserver = count -> {};
  private Consumer<ScalingDecision> scalingObserver = decision -> {};
  private boolean statusLines = true;
  private double lastStatusLine = Double.NEGATIVE_INFINITY;
  private volatile PsClient driver;
  private PsModel model;
  /** The mean of the model's reads on its plateau, offered when it scores better than the latest read. */
  private final IterateAverage average;
  /** The weights of the best evaluation so far, and their validation loss. */
  private float[] best;
  private double bestLoss;
  /** The penalties tried when the user set none, or null; the shards hold the one now. */
  private PenaltyPath penalties;
  /** The penalty the best model was trained at. */
  private float bestL2;
  /** Why {@link Solver#AUTO} chose the solver it did, for the console; null when the user chose. */
  private String solverChoice;
  /** The memory generations launch with, chosen by the driver where the spec sets none ({@link WorkerMemory}). */
  private final WorkerMemory workerMemory;
  /** Why the driver chose the memory it starts with, for the console; null when it did not choose. */
  private String memoryChoice;
  /** Why the driver starts the workers it does when the user set no count, for the console; null when the user did. */
  private String workersChoice;
  /** Chooses an {@link Solver#LBFGS} training's workers as it goes, when the user set no count; null otherwise. */
  private WorkerScaling scaling;
  /** Why {@link #scaling} is to measure its settled count again, told from another thread; null: nothing since. */
  private final AtomicReference<String> reconsider = new AtomicReference<>();
  /** Chooses an SGD training's workers as it goes, when the user set no count; null otherwise. */
  private SgdScaling sgdScaling;
  /** The most shards a training with no worker count set may use, and why no more: the user's count, or where. */
  private final int mostShards;
  private final String noMoreShards;
  /**
   * Shards the driver added to the job's and moved an SGD model onto ({@link SgdScaling}), in the order added: the
   * model is sliced over the job's, then these.
   */
  private final List<Shards> addedShards = new ArrayList<>();
  private final List<AutoCloseable> addedShardsHeard = new ArrayList<>();
  /** Shards starting for an SGD model to move onto; null when none are. */
  private CompletableFuture<Shards> moving;
  /** Whether the workers were asked to pause for the move: their generations end, and start again once it is done. */
  private boolean pausedForMove;
  /** When they were asked to, in {@link System#nanoTime}. */
  private long pausedAt;
  /** Whether a round waiting on workers the service refuses said so yet. */
  private boolean refusalsSaid;
  /** Whether the workers that run could not hold the refused ones' partitions too: the rounds wait for them. */
  private boolean fewerCannotHold;
  private final List<ScalingDecision> scalingDecisions = new ArrayList<>();
  /** What the workers have cost, as of the latest evaluation ({@link #overBudget}). */
  private volatile double workerCost;
  /** An {@link Solver#LBFGS} training's passes over the data through the shards; null for SGD. */
  private volatile GradientRounds rounds;
  /** The point a dead {@link Solver#LBFGS} driver left, which this job resumes from; null when it does not. */
  private QuasiNewtonPoint resumedSolve;
  /** The passes the dead driver had made, for an L-BFGS training resumed from its point. */
  private long passesBefore;
  /** The dead driver's model name, whose workers this job asked to stop, and whose keys it deletes when closed. */
  private String retired;
  private long solverPointWrittenAt;

  /** Something a shard's restart asks of the driver's loop. */
  private interface ShardEvent {
    void handle() throws Exception;
  }

  /** One worker of the job: the generation running there now. */
  private static final class Slot {
    final int worker;
    int generation;
    int failures;
    Position start = Position.START;
    double launchedAt;
    /** The memory its generation was launched with. */
    int memoryMb;
    WorkerLauncher.Running running;
    /**
     * Completes once the running generation's end is queued for {@link #settle}: after its outcome, since a thread
     * that waited on the outcome itself may wake before the queueing callback has run.
     */
    CompletableFuture<?> queued;
    boolean dataEnded;
    /** An {@link Solver#LBFGS} worker's partitions: what each of its generations reads. */
    int[] held;
    /** Those of them it sums in rounds now: none while it stands by, null once it was taken away. */
    int[] assigned;
    /** The worker whose partitions it was started to take over, until it has (or was taken away); else null. */
    Slot takingFrom;
    /**
     * An SGD worker's partitions, fixed at its start: its epochs' order and its positions are over them. One the
     * driver added ({@link SgdScaling}) shares those of the one before it that it doubles.
     */
    int[] reads;
    /** Whether the driver took this SGD worker away ({@link SgdScaling}): it gets no successor. */
    boolean withdrawn;
    /**
     * Whether its generation started with none of its own training just before (the job's start, its predecessor
     * died, the driver added it) and has recorded no position past its start yet ({@link #catchingUp()}).
     */
    boolean catchingUp;
    /** Whether a generation was launched and its end not settled yet. */
    boolean live;

    Slot(int worker) {
      this.worker = worker;
    }
  }

  /**
   * @param workerStore the store as workers reach it
   * @param validation the rows the monitor evaluates the model on; never training rows
   * @param progress where the monitor's lines go (the driver's console)
   */
  public TrainingDriver(
      TrainingSpec spec,
      ObjectStore store,
      StoreSpec workerStore,
      Dataset train,
      SparseRow[] validation,
      Shards shards,
      WorkerLauncher launcher,
      Consumer<String> progress) {
    TrainingSpec resolved = spec.forTrainingSet(train.rowCount(), () -> meanLabel(store, train));
    int partitions = train.manifest().partitions().size();
    boolean autoWorkers = spec.workers() == TrainingSpec.AUTO_WORKERS;
    // Two to start with no count set: reading the data is most of a start, and two read it in half the time; and
    // two are the fewest that show whether workers run side by side.
    int workers = autoWorkers ? Math.min(2, Math.max(1, partitions)) : spec.workers();
    this.workerMemory = WorkerMemory.of(launcher, spec.workerMemoryMb());
    long storedBytes = train.manifest().partitions().stream().mapToLong(PartitionInfo::bytes).sum();
    if (resolved.solver() == Solver.AUTO) {
      // more workers only where the most memory a worker is offered does not hold its share
      long memory = launcher.memoryPerWorker(workers, workerMemory.largest());
      int holding = Math.max(1, Math.min(workers, partitions));
      // with no count set, as many workers as it takes to hold the data, if a worker per partition can
      while (autoWorkers && holding < partitions && Solver.choose(spec.objective(), perWorker(storedBytes, holding),
          memory) != Solver.LBFGS) {
        holding++;
      }
      long perWorker = perWorker(storedBytes, holding);
      resolved = resolved.withSolver(Solver.choose(spec.objective(), perWorker, memory));
      solverChoice = String.format("solver %s: %s of stored rows a worker against %s of memory", resolved.solver(),
          megabytes(perWorker), megabytes(memory));
      if (autoWorkers && resolved.solver() == Solver.LBFGS) {
        workers = holding;
      }
    }
    int holders = Math.max(1, Math.min(workers, partitions));
    if (resolved.solver() == Solver.LBFGS) {
      long perWorker = perWorker(storedBytes, holders);
      memoryChoice = workerMemory.forLbfgs(mb -> Solver.choose(spec.objective(), perWorker,
          launcher.memoryPerWorker(holders, mb)) == Solver.LBFGS, megabytes(perWorker) + " of stored rows");
    } else {
      long largest = train.manifest().partitions().stream().mapToLong(PartitionInfo::bytes).max().orElse(0);
      long twoDecoded = 2 * largest * Solver.MEMORY_PER_STORED_BYTE;
      memoryChoice = workerMemory.forSgd(mb -> TrainingSpec.prefetchBudgetBytes(
          (int) (launcher.memoryPerWorker(holders, mb) >> 20)) >= twoDecoded,
          "two of its partitions decoded (" + megabytes(largest) + " stored the largest)");
    }
    int shardCount = shards.count();
    boolean autoShards = spec.psShards() == TrainingSpec.AUTO_SHARDS && shards.canStartMore();
    mostShards = autoShards ? Math.max(shardCount, MAX_AUTO_SHARDS) : shardCount;
    noMoreShards = spec.psShards() != TrainingSpec.AUTO_SHARDS
        ? WorkerScaling.FIXED_SHARDS
        : !shards.canStartMore()
            ? "the shards were started elsewhere (psEndpoints): more would have to be started there"
            : mostShards + " shards, the most a training uses";
    if (autoWorkers) {
      if (resolved.solver() == Solver.LBFGS) {
        int most = Math.min(partitions, MAX_AUTO_WORKERS);
        scaling = new WorkerScaling(Math.min(workers, most), most, shardCount, mostShards, noMoreShards);
        workers = scaling.workers();
        workersChoice = String.format("workers %d to start, doubled while a pass gets nearly as much faster (at most"
            + " %d, one per partition)", workers, most)
            + (autoShards ? String.format("; shards %d, doubled where they saturate (at most %d)", shardCount,
                mostShards) : "");
      } else {
        // one to start: on the auto benchmark's rows one Lambda worker came within 1% of the optimum in 3.7 s and 5.5 s
        // where two took 6.4 s and 7.0 s, twice the updates (staler models); more where the rate shows they pay
        workers = 1;
        int most = Math.min(MAX_AUTO_WORKERS, launcher.mostComputingAtOnce());
        sgdScaling = new SgdScaling(workers, most, shardCount, mostShards, noMoreShards);
        workersChoice = String.format("workers %d to start, doubled while the updates a second grow at least %.1fx"
            + " (at most %d%s)", workers, SgdScaling.PAYS, most,
            most < MAX_AUTO_WORKERS ? ", the cores of the machine they share" : "")
            + (autoShards ? String.format("; shards %d, doubled where they saturate, the model moved onto them (at"
                + " most %d)", shardCount, mostShards) : "");
      }
      resolved = resolved.withWorkers(workers);
    }
    if (Float.isNaN(spec.l2()) && spec.l1() == 0 && spec.objective().penalisesAllValues()) {
      // the path's first penalty is the model's on the shards; the driver sets the next ones there
      this.penalties = new PenaltyPath(train.rowCount());
      resolved = resolved.withL2(penalties.l2());
    }
    this.spec = resolved;
    this.store = store;
    this.workerStore = workerStore;
    this.train = train;
    this.validation = validation;
    this.average = new IterateAverage(this.spec.objective(), validation);
    this.shards = shards;
    this.launcher = launcher;
    this.progress = progress;
    this.modelName =
        "linear-model-" + Long.toHexString(System.nanoTime()) + "-" + JOBS.incrementAndGet();
  }

  /**
   * Also evaluates the model on {@code testRows} at every evaluation (set before {@link #run}), into the curve's
   * {@link CurvePoint#testLoss}: for charts beside other systems' test loss. The monitor never looks at it.
   */
  public TrainingDriver testCurveOn(SparseRow[] testRows) {
    this.testCurve = testRows;
    return this;
  }

  /**
   * Starts the job's clock (its curve's seconds, its time budget) at {@code nanoTime}, when its caller began launching
   * it, shards and evaluation rows included, instead of when it runs (set before {@link #run}).
   */
  public TrainingDriver launchedAt(long nanoTime) {
    this.launchedAt = nanoTime;
    return this;
  }

  /** Shows every evaluation to {@code observer} (set before {@link #run}), which may stop the job. */
  public TrainingDriver observeEvaluations(EvaluationObserver observer) {
    this.observer = observer;
    return this;
  }

  /** Shows every shard restart to {@code restartObserver} once the job recorded it (set before {@link #run}). */
  public TrainingDriver observeShardRestarts(Consumer<ShardRestart> restartObserver) {
    this.restartObserver = restartObserver;
    return this;
  }

  /** Shows every decision of the driver's on its worker count ({@link WorkerScaling}) (set before {@link #run}). */
  public TrainingDriver observeScaling(Consumer<ScalingDecision> scalingObserver) {
    this.scalingObserver = scalingObserver;
    return this;
  }

  /**
   * Shows the count of workers summing to {@code workersObserver} when the job starts them and whenever the driver
   * changes it ({@link WorkerScaling}) (set before {@link #run}).
   */
  public TrainingDriver observeWorkers(IntConsumer workersObserver) {
    this.workersObserver = workersObserver;
    return this;
  }

  /**
   * Tells a running {@link Solver#LBFGS} training whose driver chooses its workers that more may run now than when its
   * count settled, for {@code why} (a search's other experiments ended and none waits to start): at its next round it
   * measures its count again (or once it settles, if a doubling is on trial), and doubles it where that pays, as at
   * its start. Any thread may call it; a count chosen by the user is left as it is.
   */
  public void reconsiderWorkers(String why) {
    reconsider.set(why);
  }

  /**
   * Keeps an SGD training with no count set at the workers it starts (set before {@link #run}): in a search, whose
   * experiments at once are what it scales, a trial of twice the workers would only take cores from the others.
   */
  public TrainingDriver withoutSgdScaling() {
    if (sgdScaling != null) {
      sgdScaling = null;
      workersChoice = String.format("workers %d: a search's experiments at once are what it scales",
          spec.workers());
    }
    return this;
  }

  /**
   * Counts the shards of an SGD training that chooses its workers saturated from {@code share} of their loops' cores
   * on (set before {@link #run}): for a test on a machine whose shards never saturate before its cores do.
   */
  TrainingDriver shardsSaturatedAt(double share) {
    if (sgdScaling != null) {
      sgdScaling.saturatedAt(share);
    }
    return this;
  }

  /**
   * Prints no line per evaluation and none at the stop (a {@link ConsoleView} shows both); the job's other lines, a
   * worker's death say, still go to progress.
   */
  public TrainingDriver withoutStatusLines() {
    this.statusLines = false;
    return this;
  }

  /**
   * Asks the running job to stop with {@code reason} (from any thread): it stops its workers, keeps the best model
   * seen, and returns from {@link #run} as usual. A job not started yet stops at its first turn of the loop.
   */
  public void stop(StopReason reason) {
    stopRequested = reason;
    ended.add(WAKE_UP);
  }

  /**
   * Writes a {@link ResumePoint} beside the shards' snapshots at every evaluation (set before {@link #run}), so that
   * another driver can continue this training should this one die; for a job alone on shards that snapshot.
   */
  public TrainingDriver resumable() {
    this.resumable = true;
    return this;
  }

  /**
   * As {@link #resumable}, the resume point at {@code point} instead: for jobs that share their shards and the
   * shards' checkpoint location, as the experiments of a search do.
   */
  public TrainingDriver resumableAt(S3Path point) {
    this.resumePointAt = point;
    return resumable();
  }

  /**
   * Continues the training a driver that died left in the shards' checkpoint location (set before {@link #run}): the
   * shards, started on that location, restored its model from their snapshots; the workers start where its
   * {@link ResumePoint} says (at {@link #resumableAt}'s location if set). The job is {@link #resumable} in turn. It
   * fails at {@link #run} when the shards have no checkpoint location or no driver left a resume point there.
   */
  public TrainingDriver resumingFromSnapshots() {
    this.resume = true;
    return resumable();
  }

  /**
   * The name of this job's model on the shards (a resumed job's, once it runs: the dead driver's); the job deletes it
   * there when closed.
   */
  public String modelName() {
    return modelName;
  }

  /** Runs to a stop reason, writes the kept model to {@code modelPath}, and reports. */
  public TrainResult run(S3Path modelPath) throws Exception {
    long now = System.nanoTime();
    start = launchedAt == null ? now : launchedAt;
    startMillis = System.currentTimeMillis() - (now - start) / 1_000_000;
    restartsHeard = shards.onRestart(restartListener(0));
    for (int w = 0; w < spec.workers(); w++) {
      slots.add(new Slot(w));
    }
    if (spec.solver() != Solver.LBFGS) {
      for (Slot slot : slots) {
        slot.reads = partitionsOf(slot.worker);
      }
    }
    if (solverChoice != null) {
      progress.accept(solverChoice);
    }
    if (memoryChoice != null) {
      decided(new ScalingDecision(secondsSinceStart(), 0, ScalingDecision.Resource.MEMORY, workerMemory.current(),
          workerMemory.current(), memoryChoice));
    }
    if (workersChoice != null) {
      progress.accept(workersChoice);
    }
    workersObserver.accept(slots.size());
    if (resume) {
      byte[] left = readResumePoint();
      if (spec.solver() == Solver.LBFGS) {
        resumedSolve = QuasiNewtonPoint.decode(left, resumePoint());
      } else {
        takeOver(ResumePoint.decode(left, resumePoint()));
      }
    }
    if (spec.solver() == Solver.LBFGS && !shards.listening()
        && launcher.mostComputingAtOnce() > slots.size() + shards.count()) {
      // launched first: they read their partitions while the shards start, on cores the shards do not need; where
      // they would share them (two workers and a shard on two cores), the overlap gained nothing in our probes
      launchHolders();
    }
    driver = PsClient.connect(placement(), shards.access(), 0);
    if (spec.solver() == Solver.LBFGS) {
      return solveByQuasiNewton(modelPath);
    }
    // finds the model the shards restored when resuming
    model = driver.createModel(modelName, WorkerTask.modelSpec(spec, train.featureCount()));
    if (resume) {
      resumedAtUpdates = updatesSoFar();
      if (resumedAtUpdates == 0) {
        throw new CannotResumeException("cannot resume the training: the shards restored no progress of model '"
            + modelName + "' from the snapshots in " + shards.checkpoint() + " (none left, or none taken after an"
            + " update)");
      }
      progress.accept(String.format("resuming from the snapshots in %s at %,d updates", shards.checkpoint(),
          resumedAtUpdates));
      // a driver that died stopping its workers left their stop key on shards that outlived it
      SgdWorker.retryingLostConnections(() -> driver.delete(WorkerCheckpoints.stopKey(modelName)));
      setPenalty(false); // the restored model holds its spec's, the path's first; the dead driver's had gone on
    } else {
      announcePenalty(); // the spec's, which the shards have
    }
    // judged over at least a pass over the training rows, however few updates a busy machine allows a second
    long passUpdates = (train.rowCount() + spec.minibatchSize() - 1) / spec.minibatchSize();
    LossMonitor monitor = new LossMonitor(spec.epsilon(), spec.window(), passUpdates, spec.timeoutSeconds());
    EvaluationPace pace = new EvaluationPace(spec.evalIntervalMillis(), train.rowCount(), spec.minibatchSize());
    // The untrained (or restored) model starts the curve: what a diverging job is worse than.
    StopReason reason = judge(monitor, evaluate(pace));
    for (Slot slot : slots) {
      launch(slot);
    }
    long nextEvaluation = System.nanoTime() + pace.nanos();
    while (reason == null) {
      Slot slot = ended.poll(Math.max(0, nextEvaluation - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (recordShardEvents()) {
        monitor.restartWindow();
        average.clear(); // the restored model is not the one the reads before were around
        setPenalty(false); // a restarted shard went back to its model's first penalty
      }
      if (stopRequested != null) {
        reason = stopRequested;
        if (slot != null && slot != WAKE_UP) {
          settle(slot);
        }
        continue;
      }
      if (slot == WAKE_UP) {
        continue;
      }
      if (slot != null) {
        settle(slot);
        advanceMove();
        if (allDataEnded()) {
          CurvePoint last = evaluate(pace);
          if (last != null) {
            monitor.observe(last);
          }
          reason = StopReason.EPOCHS_DONE;
        }
        continue;
      }
      long started = System.nanoTime();
      CurvePoint point = evaluate(pace);
      nextEvaluation = started + pace.nanos();
      boolean catchingUp = point != null && (pausedForMove || catchingUp());
      if (catchingUp) {
        // its partitions go untrained meanwhile (or every worker's, paused for the model's move): the loss flattens
        // with no plateau of the training's, so the judged window begins once every worker trains
        monitor.restartWindow();
      }
      reason = judge(monitor, point);
      if (reason == null && point != null) {
        scaleSgd(point, catchingUp);
      }
      if (reason == null) {
        advanceMove();
      }
      if (point != null) {
        writeResumePoint();
      }
    }
    stopWorkers();
    long updates = updatesSoFar();
    // Early stopping keeps the best model seen, not the last: asynchronous SGD's last steps may have overfit.
    return finish(modelPath, reason, updates, monitor);
  }

  /**
   * Writes the best model seen to {@code modelPath} and reports: {@code updates} are pushes for SGD, passes over the
   * data for L-BFGS.
   */
  private TrainResult finish(S3Path modelPath, StopReason reason, long updates, LossMonitor monitor)
      throws Exception {
    awaitShardsDown();
    recordShardEvents(); // a shard that came back during the last rounds is in the result too
    TrainedModel kept = spec.objective().model(best);
    store.put(modelPath, kept.toBytes());
    double seconds = secondsSinceStart();
    if (statusLines) {
      progress.accept(String.format("stopped: %s after %.1f s, %,d %s, %d worker generations; kept validation"
          + " %s %.5f (l2 %.3g)", reason, seconds, updates, updatesName(), generations.size(),
          spec.objective().lossName(), bestLoss, bestL2));
    }
    return new TrainResult(
        modelPath.toString(),
        kept.evaluate(validation),
        monitor.curve(),
        reason,
        updates / seconds,
        updates,
        times,
        stallNanos / 1e9,
        List.copyOf(generations),
        List.copyOf(shardRestarts),
        resumedAtUpdates,
        spec.solver(),
        List.copyOf(scalingDecisions));
  }

  /** What the console calls the count of updates: pushes for SGD, passes over the data for L-BFGS. */
  public String updatesName() {
    return spec.solver() == Solver.LBFGS ? "passes" : "updates";
  }

  /** The training rows one of its updates takes: a minibatch, or with {@link Solver#LBFGS} the whole training set. */
  public long rowsPerUpdate() {
    return spec.solver() == Solver.LBFGS ? train.rowCount() : spec.minibatchSize();
  }

  /**
   * The {@link Solver#LBFGS} training: the driver holds the solver's state and the point, the workers evaluate the
   * objective there in {@link GradientRounds}, and every iterate the line search accepts is scored on the validation
   * set. At each penalty of the path the solver runs to {@link #PATH_TOLERANCE} and the next starts from its optimum;
   * once the path ends, the best penalty's search goes on to {@link #QUASI_NEWTON_TOLERANCE}.
   */
  private TrainResult solveByQuasiNewton(S3Path modelPath) throws Exception {
    int columns = spec.objective().columns();
    int rows = (int) train.featureCount() + 1;
    rounds = new GradientRounds(driver, modelName, GradientRounds.roundSpec(rows, columns));
    roundShards = new RoundShards(shards, driver, rounds, this::restartListener);
    float[] latest = resumedSolve == null ? new float[rows * columns] : takeOver(resumedSolve);
    if (penalties != null && penalties.ended()) {
      announcePolish(); // resumed where the path had ended
    } else {
      announcePenalty();
    }
    // only a non-finite loss and the time budget: the solver says when it has converged
    LossMonitor monitor = new LossMonitor(0, Integer.MAX_VALUE, 0, spec.timeoutSeconds());
    if (slots.get(0).running == null) {
      launchHolders();
    }
    // the untrained (or resumed) model starts the curve; the untrained one is the model of a job stopped before its
    // first step, a resumed job's is the dead driver's
    CurvePoint start = score(latest, passes());
    if (resumedSolve == null || resumedSolve.kept() == null) {
      keepIfBest(latest, start.validationLoss());
    }
    double latestLoss = start.validationLoss();
    StopReason reason = monitor.observe(start);
    // A round for the curvature's shape first, each key's sum of squares, the solver's preconditioner; not with an L1
    // penalty, whose orthant-wise steps it slowed (planted data: 24 passes against 15; the peers benchmark's Criteo
    // rows: past the 40 s budget against 31.8 s).
    boolean preconditioned = spec.l1() == 0;
    GradientRounds.Sums squares =
        reason == null && preconditioned ? evaluateRound(() -> rounds.beginSquares(assignment())) : null;
    if (reason == null && preconditioned && squares == null) {
      reason = stopRequested != null ? stopRequested : StopReason.TIMEOUT;
    }
    if (squares != null) {
      rounds.readOnlyTouched(squares);
    }
    // the pass of SGD without a penalty (see startsBySgd): the job's model if it stops short of a better one
    float[] unpenalised = null;
    double unpenalisedLoss = Double.NaN;
    if (reason == null && startsBySgd()) {
      PendingScore free = passOfSgd(0);
      PendingScore atPenalty = free == null || currentL2() == 0 ? free : passOfSgd(currentL2());
      Judged judged = free == null ? null : judge(free, monitor);
      if (judged != null) {
        reason = judged.stop();
        unpenalised = free.weights();
        unpenalisedLoss = judged.point().validationLoss();
      }
      if (atPenalty == null) {
        reason = reason != null ? reason : stopRequested != null ? stopRequested : StopReason.TIMEOUT;
      } else if (reason == null) {
        judged = atPenalty == free ? judged : judge(atPenalty, monitor);
        reason = judged.stop();
        if (judged.point().validationLoss() < latestLoss) {
          latest = atPenalty.weights();
          latestLoss = judged.point().validationLoss();
        } else {
          progress.accept(String.format("%6.1f s  the pass of SGD the solver was to start from scored %.5f on the"
              + " validation rows, not below the untrained model's %.5f: it starts from zeros", secondsSinceStart(),
              judged.point().validationLoss(), latestLoss));
        }
      }
    }
    // along a path each penalty to a looser tolerance, then the best one on to the tight one, its solver taken up
    // again with its memory of the curvature (held meanwhile: the driver holds two solvers' memory along a path);
    // resumed where the path had ended, the best one on from the iterate left there, not along the path again
    boolean polishing = penalties == null || penalties.ended();
    Lbfgs keptSolver = null;
    Lbfgs solver = solver(widened(latest), polishing ? QUASI_NEWTON_TOLERANCE : PATH_TOLERANCE, squares);
    // an accepted iterate is scored on the validation rows beside the next round, and judged once that is back
    PendingScore pending = null;
    while (reason == null) {
      double[] point = solver.point();
      standByUntilReady();
      placeOverStartedShards();
      long roundStarted = System.nanoTime();
      RoundStart begin = () -> rounds.begin(point, assignment());
      beginRound(begin);
      if (pending != null) { // the iterate accepted last, judged while the workers compute the round after it
        Judged judged = judge(pending, monitor);
        latest = pending.weights();
        latestLoss = judged.point().validationLoss();
        reason = judged.stop();
        writeSolverPoint(latest, false);
        pending = null;
      }
      GradientRounds.Sums sums = reason == null ? awaitRound(begin) : null;
      if (sums == null || reason != null) {
        reason = reason != null ? reason : stopRequested != null ? stopRequested : StopReason.TIMEOUT;
        break;
      }
      scale((System.nanoTime() - roundStarted) / 1e9, sums);
      if (sums.rows() != train.rowCount()) {
        throw new TrainingFailedException("the workers hold " + sums.rows() + " rows of the training set's "
            + train.rowCount() + ": its partitions changed while it trained", null);
      }
      Lbfgs.Outcome outcome = report(solver, point, sums);
      if (outcome == Lbfgs.Outcome.REJECTED || outcome == Lbfgs.Outcome.STARTED) {
        continue;
      }
      double[] iterate = solver.iterate();
      float[] weights = new float[iterate.length];
      for (int i = 0; i < iterate.length; i++) {
        weights[i] = (float) iterate[i];
      }
      pending = new PendingScore(weights, passes(), secondsSinceStart(), scoreBeside(weights));
      if (outcome == Lbfgs.Outcome.ACCEPTED) {
        continue; // scored beside the next round, judged once it is back
      }
      // a penalty's optimum: the path goes on from its score
      Judged judged = judge(pending, monitor);
      latest = weights;
      latestLoss = judged.point().validationLoss();
      reason = judged.stop();
      pending = null;
      if (polishing && penalties != null || best == null || clearlyBetter(weights, best)) {
        // the penalty's optimum, not the iterate the held-out rows liked; polished, the one the path chose
        keep(weights, latestLoss, currentL2());
        keptSolver = solver;
      }
      if (reason == null) {
        if (polishing) {
          reason = StopReason.CONVERGED;
        } else if (penalties.advance(bestLoss)) {
          announcePenalty();
          // the next penalty's optimum is near; its search starts where the last round evaluated the rows' loss (unless
          // the line search ran out of trials, the optimum is that round's point), so only the penalty's part is new
          solver = solver(iterate, PATH_TOLERANCE, squares);
          if (Arrays.equals(iterate, point) && report(solver, point, sums) != Lbfgs.Outcome.STARTED) {
            solver = solver(iterate, PATH_TOLERANCE, squares); // converged at once: a round finds so again
          }
        } else {
          polishing = true;
          penalties.backToBest();
          announcePolish();
          if (keptSolver == null) { // the untrained model was the best: no penalty's search to take up
            solver = solver(widened(best), QUASI_NEWTON_TOLERANCE, squares);
          } else if (keptSolver.continueTo(QUASI_NEWTON_TOLERANCE)) {
            solver = keptSolver;
          } else {
            reason = StopReason.CONVERGED; // it had stopped at the objective's precision: nothing more to gain
          }
        }
      }
      // once the path ended, a successor goes on from the best penalty's optimum, not the last penalty's
      writeSolverPoint(polishing && best != null ? best : weights, true);
    }
    if (reason != StopReason.CONVERGED) {
      keepIfBest(latest, latestLoss); // stopped short of a penalty's optimum: the latest iterate, if the best seen
      if (unpenalised != null) {
        keepIfBest(unpenalised, unpenalisedLoss, 0);
      }
    }
    stopWorkers();
    rounds.end();
    return finish(modelPath, reason, passes(), monitor);
  }

  /**
   * Whether the solve starts from the workers' models after a pass of SGD ({@link GradientRounds.Kind#SGD_START}): as
   * the spec asks, for a new solve (a resumed one goes on from its iterate) of a binary model (the pass takes one
   * margin a row) without an L1 penalty (OWL-QN from a pass of AdaGrad's dual averaging, a sparse start, took 29.2 s
   * on the peers benchmark's rows against 25.8 s from zeros).
   *
   * <p>Two passes, each from zeros: one without a penalty, then one at the penalty now, which the solver starts from.
   * One pass stops far short of a penalty's optimum, and a penalty at every step shrinks the weights of rare features
   * for the whole pass: at a path's first, strongest penalty the pass scored a test logloss of 0.43971 on the peers
   * benchmark's rows, 1.0102x the optimum's, where the pass without one scored 0.43674, 1.0034x, a model to keep if the
   * training stops before a better one. The solver starts from the penalised pass, nearer the optimum it seeks: started
   * from the unpenalised one, it reached 0.1% of the optimum's test logloss on those rows at 8.6 s against 7.6 s from
   * zeros.
   */
  private boolean startsBySgd() {
    return spec.sgdStart() && resumedSolve == null && spec.l1() == 0 && spec.objective().columns() == 1;
  }

  /**
   * A round of {@link #startsBySgd}'s passes at penalty {@code l2}: the workers' models averaged, scored beside what
   * the driver does next; null if the training stopped first.
   */
  private PendingScore passOfSgd(float l2) throws Exception {
    GradientRounds.Sums models = evaluateRound(() -> rounds.beginSgdStart(spec.learningRate(), l2, assignment()));
    if (models == null) {
      return null;
    }
    float[] averaged = new float[models.gradient().length];
    for (int i = 0; i < averaged.length; i++) {
      averaged[i] = (float) (models.gradient()[i] / models.rows());
    }
    return new PendingScore(averaged, passes(), secondsSinceStart(), scoreBeside(averaged));
  }

  /** Launches an {@link Solver#LBFGS} training's first workers, each to hold and sum its share of the partitions. */
  private void launchHolders() throws Exception {
    for (Slot slot : slots) {
      slot.held = partitionsOf(slot.worker);
      slot.assigned = slot.held; // none: it stands by
      launch(slot);
    }
  }

  private void announcePolish() {
    progress.accept(String.format("%6.1f s  penalty %s, the path's best, solved to the end", secondsSinceStart(),
        penalties.describe()));
  }

  /**
   * Hands {@code solver} the objective at {@code point} at the penalty now: the workers' {@code sums} of the rows'
   * loss and gradient there, averaged, and the L2 penalty's part.
   */
  private Lbfgs.Outcome report(Lbfgs solver, double[] point, GradientRounds.Sums sums) {
    double n = sums.rows();
    float l2 = currentL2();
    double[] gradient = new double[point.length];
    double squaredNorm = 0;
    for (int i = 0; i < point.length; i++) {
      gradient[i] = sums.gradient()[i] / n + l2 * point[i];
      squaredNorm += point[i] * point[i];
    }
    return solver.report(sums.loss() / n + l2 / 2 * squaredNorm, gradient);
  }

  /** A search from {@code start} at the penalty now, to {@code tolerance}, shaped by the workers' {@code squares}. */
  private Lbfgs solver(double[] start, double tolerance, GradientRounds.Sums squares) {
    return new Lbfgs(start, spec.l1(), tolerance, curvature(squares, currentL2()));
  }

  /**
   * Takes over the solve a dead driver left at {@code point}: its penalty, its kept model and its count of passes;
   * asks its workers to stop and deletes the round it left on shards that outlived it. Returns the iterate to go on
   * from.
   */
  private float[] takeOver(QuasiNewtonPoint point) throws Exception {
    int size = (int) (train.featureCount() + 1) * spec.objective().columns();
    if (point.iterate().length != size) {
      throw new CannotResumeException("cannot resume the training: the resume point at " + resumePoint() + " holds "
          + point.iterate().length + " weights, and this training's model has " + size);
    }
    retired = point.modelName();
    SgdWorker.retryingLostConnections(() -> driver.put(WorkerCheckpoints.stopKey(retired), WorkerCheckpoints.stopFrom(0)));
    int left = GradientRounds.decodeRound(driver.get(GradientRounds.roundKey(retired)).get(30, TimeUnit.SECONDS))
        .number();
    // the round it had named, and the next, which it may have begun making before it died
    for (int round = Math.max(0, left); left >= 0 && round <= left + 1; round++) {
      driver.deleteModel(GradientRounds.pointModel(retired, round)).get(30, TimeUnit.SECONDS);
      driver.deleteModel(GradientRounds.gradientModel(retired, round)).get(30, TimeUnit.SECONDS);
    }
    if (penalties != null && !Float.isNaN(point.l2())) {
      penalties =
          PenaltyPath.resumedAt(train.rowCount(), point.l2(), point.keptLoss(), point.pathEnded());
    }
    if (point.kept() != null) {
      best = point.kept();
      bestLoss = point.keptLoss();
      bestL2 = point.keptL2();
    }
    passesBefore = point.passes();
    resumedAtUpdates = passesBefore;
    progress.accept(String.format("resuming the L-BFGS solve from its iterate at %,d passes in %s", passesBefore,
        resumePoint()));
    return point.iterate();
  }

  /**
   * Writes the solve's state beside the shards' snapshots for a driver resuming after this one died: {@code iterate}
   * at the penalty now, and the model kept so far; at most once a {@link #SOLVER_POINT_NANOS}, unless {@code optimum}
   * (a penalty's, which the path may just have moved on from), and nothing unless {@link #resumable} on shards that
   * snapshot.
   */
  private void writeSolverPoint(float[] iterate, boolean optimum) {
    long now = System.nanoTime();
    if (!leavesResumePoint() || (!optimum && now - solverPointWrittenAt < SOLVER_POINT_NANOS)) {
      return;
    }
    solverPointWrittenAt = now;
    store.put(resumePoint(), new QuasiNewtonPoint(modelName, penalties == null ? Float.NaN : penalties.l2(),
        passes(), iterate, best, bestLoss, bestL2, penalties != null && penalties.ended()).encode());
  }

  /** What each worker sums in the next round ({@link GradientRounds.Round#assignment}). */
  private int[][] assignment() {
    int[][] assignment = new int[slots.size()][];
    for (Slot slot : slots) {
      assignment[slot.worker] = slot.assigned;
    }
    return assignment;
  }

  /** The workers summing in rounds now. */
  private int summing() {
    int count = 0;
    for (Slot slot : slots) {
      count += slot.assigned != null && slot.assigned.length > 0 ? 1 : 0;
    }
    return count;
  }

  /** Acts on what {@link #scaling} makes of a gradient round that took {@code seconds}; nothing without it. */
  private void scale(double seconds, GradientRounds.Sums sums) throws Exception {
    if (scaling == null) {
      return;
    }
    if (takeBackRefusedAdded()) {
      return;
    }
    // told while a doubling is on trial, the count is measured again once it settles
    String why = scaling.settled() ? reconsider.getAndSet(null) : null;
    if (why != null && scaling.reopen(why)) {
      progress.accept(String.format("%6.1f s  workers measured again at %d: %s", secondsSinceStart(), summing(), why));
    }
    boolean wasSettled = scaling.settled();
    int from = summing();
    switch (scaling.observe(seconds, sums.busiestSeconds(), sums.busiestComputeSeconds(), sums.coreShare())) {
      case GROW -> {
        confirmCount(); // the doubling before this one, if any, was kept
        decided(from, grow(scaling.target()), scaling.reason());
      }
      case SWITCH -> {
        for (Slot added : slots) {
          if (added.takingFrom != null) {
            added.takingFrom.assigned = without(added.takingFrom.assigned, added.held);
            added.assigned = added.held;
          }
        }
        scaling.grown(summing());
        workersObserver.accept(summing());
        progress.accept(String.format("%6.1f s  workers %d -> %d: the new ones read their partitions and sum them",
            secondsSinceStart(), from, summing()));
      }
      case SHRINK -> {
        takeBackAdded();
        scaling.shrunk();
        workersObserver.accept(summing());
        decided(from, summing(), scaling.reason());
      }
      case NONE -> {
        if (scaling.settled() && !wasSettled) {
          decided(from, from, scaling.reason());
        }
      }
    }
    if (scaling.shards() > roundShards.count() && !roundShards.starting()) {
      decided(ScalingDecision.Resource.SHARDS, roundShards.count(), scaling.shards(), scaling.reason());
      roundShards.start(scaling.shards() - roundShards.count());
    } else if (scaling.shards() < roundShards.count()) {
      int before = roundShards.count();
      roundShards.goBackTo(scaling.shards());
      decided(ScalingDecision.Resource.SHARDS, before, roundShards.count(), scaling.reason());
    }
    if (scaling.settled() && !wasSettled) {
      confirmCount();
    }
  }

  /** Whether the service refuses {@code slot}'s generation now: it waits on a throttled call, not begun. */
  private static boolean refusedNow(Slot slot) {
    return slot.running != null && slot.running.refused().getAsBoolean();
  }

  /** Gives the partitions of the workers {@link #grow} added back to those they were to take them from. */
  private void takeBackAdded() {
    for (Slot added : slots) {
      if (added.takingFrom != null) {
        added.takingFrom.assigned = merged(added.takingFrom.assigned, added.held);
        added.assigned = null; // it returns at the next round, and no successor follows
        added.takingFrom = null;
        if (refusedNow(added)) {
          added.running.kill().run(); // never begun: no round reaches it, and its call is abandoned
        }
      }
    }
  }

  /**
   * Where the service refused calls of the workers a doubling added while they were to read their partitions (their
   * invocations throttled), they are taken back at once: they could not all run, and would never say they are ready.
   */
  private boolean takeBackRefusedAdded() {
    long refused = slots.stream().filter(slot -> slot.takingFrom != null && refusedNow(slot)).count();
    if (!scaling.waitingForNew() || refused == 0) {
      return false;
    }
    int from = summing();
    int asked = scaling.target();
    takeBackAdded();
    scaling.refused(from, ScalingDecision.refused((int) refused, asked) + ": it runs fewer of them at once");
    workersObserver.accept(summing());
    decided(asked, from, scaling.reason());
    return true;
  }

  /**
   * Where the service refuses calls of workers the round waits for (their invocations throttled, not begun), the
   * driver goes on with those that run: each of them hands its partitions, and some of the
   * refused ones', to a new generation that holds them all, so that rounds need no more workers at once than ran.
   * Only where the driver chose the count, and where the workers that run can hold the refused ones' partitions as
   * well ({@link Solver#choose}); the refused calls are abandoned. Returns whether it did.
   */
  private boolean goOnWithoutRefused(long roundBegan) throws Exception {
    if (scaling == null || fewerCannotHold
        || System.nanoTime() - roundBegan < TimeUnit.SECONDS.toNanos(REFUSED_SECONDS)) {
      return false;
    }
    List<Slot> refused = rounds.missing().stream().map(slots::get).filter(TrainingDriver::refusedNow).toList();
    List<Slot> running = slots.stream().filter(s -> s.assigned != null && s.assigned.length > 0)
        .filter(s -> !refused.contains(s)).toList();
    if (refused.isEmpty() || running.isEmpty()) {
      return false;
    }
    int from = running.size() + refused.size();
    List<int[]> plan = new ArrayList<>();
    for (Slot slot : running) {
      plan.add(slot.assigned);
    }
    for (int i = 0; i < refused.size(); i++) {
      plan.set(i % plan.size(), merged(plan.get(i % plan.size()), refused.get(i).assigned));
    }
    long memory = launcher.memoryPerWorker(plan.size(), workerMemory.current());
    for (int[] partitions : plan) {
      long stored = Arrays.stream(partitions).mapToLong(p -> train.manifest().partitions().get(p).bytes()).sum();
      if (Solver.choose(spec.objective(), stored, memory) != Solver.LBFGS) {
        fewerCannotHold = true;
        progress.accept(String.format("%6.1f s  %s: the rounds wait for them, retried, as the %d that run could not"
            + " hold their partitions too (%s of stored rows against %s of memory)", secondsSinceStart(),
            ScalingDecision.refused(refused.size(), from), running.size(), megabytes(stored), megabytes(memory)));
        return false;
      }
    }
    for (Slot slot : running) {
      slot.assigned = null; // returns at the next round; its successor is a new worker
    }
    for (Slot slot : refused) {
      slot.assigned = null;
      slot.running.kill().run();
    }
    for (int[] partitions : plan) {
      Slot next = new Slot(slots.size());
      next.held = partitions;
      next.assigned = partitions;
      slots.add(next);
      launch(next);
    }
    scaling.refused(plan.size(), ScalingDecision.refused(refused.size(), from) + String.format(": the rounds go on"
        + " with %d, each of them a new worker holding the partitions of the ones it replaces", plan.size()));
    workersObserver.accept(summing());
    decided(from, summing(), scaling.reason());
    return true;
  }

  /**
   * Hears of the restarts of the job's shards, or of those it added ({@code first} the index of the first of them
   * among the shards the rounds are placed over), for the driver's loop to act on.
   */
  private Shards.RestartListener restartListener(int first) {
    return new Shards.RestartListener() {
      @Override
      public void died(int shard) {
        shardsDown(1);
      }

      @Override
      public void restarted(int shard, long diedAtMillis, double snapshotAgeSeconds, long updatesLost) {
        shardEvents.add(() -> {
          ShardRestart restart = new ShardRestart(first + shard, (diedAtMillis - startMillis) / 1e3,
              snapshotAgeSeconds, updatesLost, updatesSoFar());
          shardRestarts.add(restart);
          progress.accept(restart.describe());
          restartObserver.accept(restart);
        });
        shardsDown(-1);
        ended.add(WAKE_UP);
      }

      @Override
      public void couldNotRestart(int shard, RuntimeException why) {
        shardEvents.add(() -> {
          throw new TrainingFailedException("parameter-server shard " + (first + shard) + " died and could not be"
              + " started again: " + why.getMessage(), why);
        });
        shardsDown(-1);
        ended.add(WAKE_UP);
      }
    };
  }

  /**
   * Makes the partitions each worker sums now its own: a successor reads only those, and a later doubling that does
   * not pay takes away only the workers it added.
   */
  private void confirmCount() {
    for (Slot slot : slots) {
      if (slot.assigned != null) {
        slot.held = slot.assigned;
        slot.takingFrom = null;
      }
    }
  }

  /**
   * Starts workers to take over half the partitions of each summing worker that has two or more, until {@code target}
   * would sum; they stand by until they have read them ({@link #standByUntilReady}). Returns how many will sum.
   */
  private int grow(int target) throws Exception {
    int count = summing();
    for (Slot donor : List.copyOf(slots)) {
      if (count >= target) {
        break;
      }
      if (donor.assigned == null || donor.assigned.length < 2) {
        continue;
      }
      int keeps = donor.assigned.length - donor.assigned.length / 2;
      Slot added = new Slot(slots.size());
      added.held = Arrays.copyOfRange(donor.assigned, keeps, donor.assigned.length);
      added.assigned = new int[0];
      added.takingFrom = donor;
      slots.add(added);
      launch(added);
      count++;
    }
    return count;
  }

  /** Tells {@link #scaling} once every worker {@link #grow} started has read its partitions. */
  private void standByUntilReady() throws Exception {
    List<Slot> waiting = slots.stream().filter(s -> s.takingFrom != null && s.assigned.length == 0).toList();
    if (waiting.isEmpty()) {
      return;
    }
    List<String> keys = waiting.stream().map(s -> GradientRounds.readyKey(modelName, s.worker)).toList();
    List<byte[]> ready = driver.multiGet(keys).get(30, TimeUnit.SECONDS);
    for (int i = 0; i < waiting.size(); i++) {
      byte[] generation = ready.get(i);
      if (generation == null
          || !new String(generation, StandardCharsets.UTF_8).equals(Integer.toString(waiting.get(i).generation))) {
        return;
      }
    }
    scaling.ready();
  }

  /**
   * Once the shards {@link #scale} asked for listen, the rounds from the next on are over them too; tells {@link
   * #scaling}.
   */
  private void placeOverStartedShards() {
    RoundShards.Placed placed = roundShards.placeStarted();
    if (placed == null) {
      return;
    }
    if (placed.failure() != null) {
      scaling.shardsNotStarted(firstLine(placed.failure()));
      decided(ScalingDecision.Resource.SHARDS, placed.now(), placed.now(), scaling.reason());
      return;
    }
    scaling.shardsStarted();
    progress.accept(String.format("%6.1f s  shards %d -> %d: the new ones started, the rounds after are sliced over"
        + " them", secondsSinceStart(), placed.before(), placed.now()));
  }

  private void decided(int from, int to, String reason) {
    decided(ScalingDecision.Resource.WORKERS, from, to, reason);
  }

  private void decided(ScalingDecision.Resource resource, int from, int to, String reason) {
    decided(new ScalingDecision(secondsSinceStart(), passes(), resource, from, to, reason));
  }

  private void decided(ScalingDecision decision) {
    scalingDecisions.add(decision);
    progress.accept(decision.describe());
    scalingObserver.accept(decision);
  }

  private static int[] merged(int[] a, int[] b) {
    return IntStream.concat(Arrays.stream(a), Arrays.stream(b)).sorted().distinct().toArray();
  }

  private static int[] without(int[] a, int[] b) {
    Set<Integer> drop = Arrays.stream(b).boxed().collect(Collectors.toSet());
    return Arrays.stream(a).filter(p -> !drop.contains(p)).toArray();
  }

  /** The passes over the data an {@link Solver#LBFGS} training has made, a dead driver's before this one's included. */
  private long passes() {
    return passesBefore + rounds.begun();
  }

  private static double[] widened(float[] values) {
    double[] wide = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      wide[i] = values[i];
    }
    return wide;
  }

  private float currentL2() {
    return penalties == null ? spec.l2() : penalties.l2();
  }

  /**
   * The objective's curvature estimate from the keys' sums of squares: per weight, the loss's curvature scale ({@link
   * LinearObjective#curvatureScale}) times the feature's mean square, plus the L2 penalty (a weight no row touches: the penalty, or a
   * trillionth without one, since it never moves anyway); null without sums, for no preconditioning.
   */
  private double[] curvature(GradientRounds.Sums squares, float l2) {
    if (squares == null) {
      return null; // not preconditioned
    }
    double scale = ((LinearObjective) spec.objective()).smooth().curvatureScale();
    float[] sums = squares.gradient();
    double[] curvature = new double[sums.length];
    for (int i = 0; i < sums.length; i++) {
      curvature[i] = scale * sums[i] / Math.max(1, squares.rows()) + Math.max(l2, 1e-12);
    }
    return curvature;
  }

  /** Begins a round: again, each time one must be begun anew. */
  private interface RoundStart {
    void begin() throws Exception;
  }

  /**
   * The workers' sums of the round {@code start} begins, after as many rounds as it takes: a round a worker died in,
   * or a shard restarted during, is begun again (before a dead worker's successor starts, so it joins the new one).
   * Null when someone stopped the job or its time ran out.
   */
  private GradientRounds.Sums evaluateRound(RoundStart start) throws Exception {
    beginRound(start);
    return awaitRound(start);
  }

  /** {@link #evaluateRound}'s part after the round's begin, which {@code start} repeats when the round is lost. */
  private GradientRounds.Sums awaitRound(RoundStart start) throws Exception {
    long roundBegan = System.nanoTime();
    int abandoned = 0;
    long waitMillis = 0; // a look at once, then woken by a worker's report, a worker's end, or a request to stop
    while (true) {
      Slot slot = ended.poll(waitMillis, TimeUnit.MILLISECONDS);
      if (goOnWithoutRefused(roundBegan)) {
        beginRound(start);
        roundBegan = System.nanoTime();
        continue;
      }
      if (scaling == null && !refusalsSaid && slots.stream().anyMatch(TrainingDriver::refusedNow)) {
        refusalsSaid = true;
        progress.accept(String.format("%6.1f s  the Lambda service refuses calls of this training's workers (its"
            + " concurrency used up), retried meanwhile: a round waits until every worker it names runs; fewer"
            + " workers, set by hand, or more concurrency for the function, let it go on", secondsSinceStart()));
      }
      if (recordShardEvents()) {
        beginRound(start);
      }
      if (stopRequested != null || secondsSinceStart() >= spec.timeoutSeconds()) {
        return null;
      }
      if (slot != null && slot != WAKE_UP) {
        if (slot.running.outcome().isCompletedExceptionally()) {
          beginRound(start); // before its successor starts; a round it had reported already is only redone
        }
        settle(slot);
        continue;
      }
      GradientRounds.Sums sums;
      try {
        sums = rounds.collect();
      } catch (GradientRounds.AbandonedException e) {
        if (++abandoned > MAX_ABANDONED_ROUNDS) {
          throw new TrainingFailedException("the workers abandoned the same round " + abandoned + " times in a row;"
              + " the last: " + e.getMessage(), e);
        }
        progress.accept(String.format("%6.1f s  a round was abandoned (%s); begun again", secondsSinceStart(),
            firstLine(e.getMessage())));
        beginRound(start);
        continue;
      } catch (Exception e) {
        if (!connectionLost(e)) {
          throw e;
        }
        beginRound(start); // a shard is restarting: its restart begins the round again too
        continue;
      }
      if (sums != null) {
        if (scaling != null) {
          scaling.roundCameBackAt(secondsSinceStart());
        }
        return sums;
      }
      rounds.wakeOnReport(() -> ended.add(WAKE_UP));
      waitMillis = GradientRounds.REPORT_WAIT_MILLIS;
    }
  }

  /**
   * Begins a round, again while a shard's connection is lost (the client redials it, up to its reconnect bound, past
   * which the call fails for good).
   */
  private void beginRound(RoundStart start) throws Exception {
    while (true) {
      try {
        start.begin();
        break;
      } catch (Exception e) {
        if (!connectionLost(e)) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
    if (roundShards != null) {
      roundShards.roundBegun(); // the round before, the last on shards the rounds left, ended with this one's begin
    }
  }

  /** Whether {@code e} is, or wraps, the loss of a shard's connection. */
  private static boolean connectionLost(Exception e) {
    return e instanceof ConnectionLostException || e.getCause() instanceof ConnectionLostException;
  }


  /** What a dead driver left where this one resumes from: an SGD driver's {@link ResumePoint}, or an L-BFGS one's. */
  private byte[] readResumePoint() {
    S3Path checkpoint = shards.checkpoint();
    if (checkpoint == null) {
      throw new CannotResumeException("cannot resume the training: its shards have no checkpoint location, so no"
          + " snapshot of it exists (only shards a training starts as processes snapshot)");
    }
    S3Path at = resumePoint();
    if (!store.exists(at)) {
      throw new CannotResumeException("cannot resume the training: no driver left a resume point at " + at
          + ", so " + checkpoint + " holds no snapshot of a training to continue (train without resume first)");
    }
    byte[] left = store.get(at);
    boolean byQuasiNewton = QuasiNewtonPoint.isOne(left);
    if (byQuasiNewton != (spec.solver() == Solver.LBFGS)) {
      throw new CannotResumeException("cannot resume the training: the resume point at " + at + " was left by a"
          + (byQuasiNewton ? "n LBFGS" : "n SGD") + " training, and this one's solver is " + spec.solver()
          + " (set the solver the training had)");
    }
    return left;
  }

  /**
   * Names the model as the dead driver did, starts again the shards it had moved the model onto (restoring their
   * snapshots), and starts every worker where it last recorded its position.
   */
  private void takeOver(ResumePoint point) {
    for (int count : point.addedShards()) { // each from the last, as they were added: each finds its set's folder
      Shards last = addedShards.isEmpty() ? shards : addedShards.get(addedShards.size() - 1);
      Shards more = last.startMore(count, true);
      addedShardsHeard.add(more.onRestart(restartListener(placement().size())));
      addedShards.add(more);
    }
    if (sgdScaling != null && (point.positions().size() > slots.size() || !point.addedShards().isEmpty())) {
      // the dead driver had doubled its workers: as many again, each reading what the one it doubled reads
      int first = slots.size();
      while (slots.size() < point.positions().size()) {
        Slot added = new Slot(slots.size());
        added.reads = slots.get(added.worker % first).reads;
        slots.add(added);
      }
      sgdScaling = new SgdScaling(slots.size(), MAX_AUTO_WORKERS, placement().size(), mostShards, noMoreShards);
      workersObserver.accept(slots.size());
    }
    if (point.positions().size() != slots.size()) {
      throw new CannotResumeException("cannot resume the training of " + point.positions().size() + " workers at "
          + resumePoint() + " with " + slots.size() + " workers");
    }
    modelName = point.modelName();
    if (penalties != null && !Float.isNaN(point.l2())) {
      penalties = PenaltyPath.resumedAt(train.rowCount(), point.l2(), Double.POSITIVE_INFINITY, false);
    }
    for (Slot slot : slots) {
      slot.start = point.positions().get(slot.worker);
    }
  }

  /**
   * Writes where every worker is now beside the shards' snapshots, so that a driver resuming after this one died
   * starts them there; nothing unless {@link #resumable} on shards that snapshot, or when one is restarting (the next
   * evaluation does).
   */
  private void writeResumePoint() throws Exception {
    if (!leavesResumePoint()) {
      return;
    }
    List<Slot> kept = keptSlots();
    List<WorkerCheckpoints.Recorded> records = recordedBy(kept);
    if (records == null) {
      return;
    }
    List<Position> positions = new ArrayList<>();
    for (int i = 0; i < kept.size(); i++) {
      WorkerCheckpoints.Recorded recorded = records.get(i);
      // none yet (or lost with a restarted shard): where its generation started
      positions.add(recorded == null ? kept.get(i).start : recorded.position());
    }
    writeResumePoint(positions);
  }

  private void writeResumePoint(List<Position> positions) {
    store.put(resumePoint(), new ResumePoint(modelName, positions, penalties == null ? Float.NaN : penalties.l2(),
        addedShards.stream().map(Shards::count).toList()).encode());
  }

  private S3Path resumePoint() {
    return resumePointAt != null ? resumePointAt : ResumePoint.at(shards.checkpoint());
  }

  /** Whether this job leaves a resume point for a driver that takes over should it die. */
  private boolean leavesResumePoint() {
    return resumable && shards.checkpoint() != null;
  }

  private void shardsDown(int change) {
    synchronized (shardReports) {
      // never below none: a shard may have died before this training listened, and be heard back from after
      shardsDown = Math.max(0, shardsDown + change);
      shardReports.notifyAll();
    }
  }

  /**
   * Before a result, waits (bounded) to hear back from the shards heard to have died, so that a training that ends
   * while one restarts reports the restart and what it lost.
   */
  private void awaitShardsDown() throws InterruptedException {
    long deadline = System.nanoTime() + SHARD_REPORT_WAIT_NANOS;
    synchronized (shardReports) {
      for (long left; shardsDown > 0 && (left = deadline - System.nanoTime()) > 0; ) {
        TimeUnit.NANOSECONDS.timedWait(shardReports, left);
      }
    }
  }

  /**
   * Records the shard restarts heard of since the last call (with the model's clock now) and says so; returns whether
   * there was one.
   */
  private boolean recordShardEvents() throws Exception {
    int before = shardRestarts.size();
    for (ShardEvent event; (event = shardEvents.poll()) != null; ) {
      event.handle();
    }
    return shardRestarts.size() > before;
  }

  /**
   * The job's own monitor, then its cost cap, then the observer: why to stop after this evaluation (none when
   * skipped), or null.
   */
  private StopReason judge(LossMonitor monitor, CurvePoint point) throws Exception {
    if (point == null) {
      return null;
    }
    if (penalties != null) {
      monitor.epsilon(penalties.epsilon(spec.epsilon(), bestLoss));
    }
    StopReason reason = monitor.observe(point);
    if (reason == StopReason.CONVERGED && penalties != null && !penalties.ended()) {
      if (penalties.advance(bestLoss)) {
        setPenalty(true);
        monitor.restartWindow(); // the next penalty's progress is judged on its own
        average.clear(); // and its optimum is another
        reason = null;
      } else if (spec.epsilon() == 0) {
        // never stops: on at the best penalty (the path may have ended past it) until the time is up
        if (penalties.backToBest()) {
          setPenalty(true);
          average.clear();
        }
        monitor.restartWindow();
        reason = null;
      }
    }
    if (reason == null) {
      reason = overBudget();
    }
    return reason != null ? reason : observer.observe(point);
  }

  /**
   * {@link StopReason#BUDGET} once the workers have cost the spec's cap (saying so), else null: what every generation
   * ran for so far, the running ones' included, at the launcher's memory per worker, and their invocations, at AWS
   * Lambda's prices ({@link #costSoFar}).
   */
  private StopReason overBudget() {
    double now = secondsSinceStart();
    double gbSeconds = Prices.gbSeconds(generations);
    long invocations = generations.size();
    for (Slot slot : slots) {
      if (slot.running != null && !slot.running.outcome().isDone()) {
        gbSeconds += (now - slot.launchedAt) * slot.memoryMb / 1024.0;
        invocations++;
      }
    }
    double cost = Prices.AWS_LAMBDA_X86.lambda(gbSeconds, invocations);
    workerCost = cost;
    if (spec.maxCostDollars() <= 0 || cost < spec.maxCostDollars()) {
      return null;
    }
    progress.accept(String.format("%6.1f s  cost cap reached: the workers cost $%.6f of the $%.6f allowed (%.1f"
        + " GB-s, %d invocations); keeping the best model so far", now, cost, spec.maxCostDollars(), gbSeconds,
        invocations));
    return StopReason.BUDGET;
  }

  /**
   * Has the shards apply the penalty the path is at (nothing without a path), and says so; {@code fresh} when the
   * path moved on: the optimizer's state starts again there, or AdaGrad's steps, shrunk by every gradient of the
   * penalties before, would crawl to the new optimum (digits: 44 s to converge along the path against 19 s).
   */
  private void setPenalty(boolean fresh) throws Exception {
    if (penalties == null) {
      return;
    }
    try {
      driver.setL2(model, penalties.l2(), fresh).get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof ConnectionLostException)) {
        throw e;
      }
      return; // a shard is restarting: its restart sets the penalty again
    }
    announcePenalty();
  }

  private void announcePenalty() {
    if (penalties != null) {
      progress.accept(String.format("%6.1f s  penalty %s", secondsSinceStart(), penalties.describe()));
    }
  }

  /**
   * What the job's workers have cost so far at AWS Lambda's prices (their GB-seconds and invocations), as of its
   * latest evaluation (from any thread): what a search's cost cap adds up.
   */
  public double costSoFar() {
    return workerCost;
  }

  /** The gradient rounds an {@link Solver#LBFGS} training has begun so far (from any thread); 0 for SGD. */
  int roundsBegun() {
    GradientRounds begun = rounds;
    return begun == null ? 0 : begun.begun();
  }

  /** Ends worker {@code w}'s running generation abruptly, as if its machine died; the job starts a successor. */
  public void killWorker(int w) {
    slots.get(w).running.kill().run();
  }

  private void launch(Slot slot) throws Exception {
    slot.generation++;
    slot.catchingUp = true;
    slot.launchedAt = secondsSinceStart();
    slot.memoryMb = workerMemory.current();
    // a worker launched before the shards listen finds them where they will say so, once it has read its data
    S3Path shardsAt = shards.listening() ? null : shards.rendezvous();
    WorkerTask task = new WorkerTask(spec, workerStore, train, shardsAt == null ? placement() : List.of(),
        shardsAt, shards.access(), modelName, slot.worker, slot.generation,
        slot.held != null ? slot.held : slot.reads, slot.start);
    WorkerLauncher.Running running = launcher.launch(task, slot.memoryMb);
    slot.running = running;
    slot.live = true;
    slot.queued = running.outcome().whenComplete((outcome, failure) -> ended.add(slot));
  }

  /**
   * Records how a slot's generation ended and, unless the job is stopping, starts its successor: at the returned
   * position after a hand-over, at the last recorded one after a death.
   */
  private void settle(Slot slot) throws Exception {
    WorkerLauncher.Running running = slot.running;
    slot.live = false;
    double endedAt = secondsSinceStart();
    try {
      WorkerTask.WorkerOutcome outcome = running.outcome().join();
      times.merge(outcome.times());
      stallNanos += outcome.stallNanos();
      GenerationRecord.Ending ending =
          outcome.dataEnded()
              ? GenerationRecord.Ending.DATA_ENDED
              : stopping || takenAway(slot) ? GenerationRecord.Ending.STOPPED : GenerationRecord.Ending.HANDED_OVER;
      record(slot, outcome.position(), ending, endedAt, outcome.workSeconds(), null);
      slot.start = outcome.position();
      slot.dataEnded = outcome.dataEnded();
      if (ending == GenerationRecord.Ending.HANDED_OVER && !pausedForMove) { // else started once the model moved
        launch(slot);
        slot.catchingUp = false; // its predecessor trained its partitions until now
      }
    } catch (CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      Position resumeAt = lastRecorded(slot);
      record(slot, resumeAt, GenerationRecord.Ending.DIED, endedAt, 0, String.valueOf(cause.getMessage()));
      slot.start = resumeAt;
      if (stopping || takenAway(slot)) {
        return;
      }
      if (++slot.failures > spec.maxWorkerFailures()) {
        throw new TrainingFailedException(
            "worker " + slot.worker + " failed " + slot.failures + " times, more than maxWorkerFailures="
                + spec.maxWorkerFailures() + "; its last error: " + cause.getMessage(),
            cause);
      }
      progress.accept(String.format("worker %d (generation %d) died: %s; its successor resumes at %s",
          slot.worker, slot.generation, firstLine(cause.getMessage()), resumeAt));
      String larger = WorkerMemory.outOfMemory(cause.getMessage()) ? workerMemory.afterOutOfMemory(slot.memoryMb)
          : null;
      if (larger != null) {
        decided(new ScalingDecision(secondsSinceStart(), updatesSoFar(), ScalingDecision.Resource.MEMORY,
            slot.memoryMb, workerMemory.current(), larger));
      }
      if (sgdScaling != null) {
        sgdScaling.workerRestarting();
      }
      if (!pausedForMove) {
        launch(slot);
      }
    }
  }

  /**
   * Acts on what {@link #sgdScaling} makes of the evaluation {@code point}: starts the workers it asks for, each
   * reading the partitions of the one it doubles, or takes them away; nothing without it. {@code catchingUp}: whether
   * a worker has not begun yet ({@link #catchingUp()}, read once an evaluation), so the count's rate is not its own.
   */
  private void scaleSgd(CurvePoint point, boolean catchingUp) throws Exception {
    if (sgdScaling == null) {
      return;
    }
    if (moving != null) {
      return; // the model is moving onto more shards: measured once the workers have begun again there
    }
    if (sgdScaling.waitingForWorkers() && !catchingUp) {
      sgdScaling.begun(point.seconds());
    }
    int from = sgdScaling.workers();
    int shardsBefore = sgdScaling.shards();
    ShardLoad load = sgdScaling.settled() ? null
        : ShardLoad.of(secondsSinceStart(), SgdWorker.retryingLostConnections(driver::metrics));
    int refused = (int) slots.stream().filter(slot -> !slot.withdrawn && refusedNow(slot)).count();
    SgdScaling.Action action = sgdScaling.observe(point.seconds(), point.updates(), load, refused);
    if (action == SgdScaling.Action.SHARDS) {
      decided(new ScalingDecision(secondsSinceStart(), point.updates(), ScalingDecision.Resource.SHARDS,
          shardsBefore, sgdScaling.shards(), sgdScaling.reason()));
    } else if (action != SgdScaling.Action.NONE) {
      decided(new ScalingDecision(secondsSinceStart(), point.updates(), ScalingDecision.Resource.WORKERS, from,
          sgdScaling.workers(), sgdScaling.reason()));
    }
    switch (action) {
      case GROW -> {
        for (int w = from; w < sgdScaling.workers(); w++) {
          Slot added = new Slot(w);
          added.reads = slots.get(w - from).reads;
          slots.add(added);
          launch(added);
        }
        workersObserver.accept(sgdScaling.workers());
      }
      case SHRINK -> stopWorkersFrom(sgdScaling.workers());
      case SHARDS -> {
        int more = sgdScaling.shards() - shardsBefore;
        Shards last = addedShards.isEmpty() ? shards : addedShards.get(addedShards.size() - 1);
        // started from the last set: a set snapshots in a folder named by how deep it is in that chain, which a
        // driver taking over finds again by starting the sets the same way
        moving = CompletableFuture.supplyAsync(() -> last.startMore(more),
            task -> SHARD_STARTER.newThread(task).start());
      }
      case SETTLED, NONE -> {}
    }
  }

  /** Takes away the SGD workers from {@code keep} on: their generations stop and get no successor. */
  private void stopWorkersFrom(int keep) throws Exception {
    SgdWorker.retryingLostConnections(
        () -> driver.put(WorkerCheckpoints.stopKey(modelName), WorkerCheckpoints.stopFrom(keep)));
    for (Slot slot : slots) {
      slot.withdrawn |= slot.worker >= keep;
      if (slot.worker >= keep && refusedNow(slot)) {
        slot.running.kill().run(); // never begun: no stop key reaches it, and its call is abandoned
      }
    }
    workersObserver.accept(keep);
  }

  /** The shards an SGD model is sliced over: the job's, then those the driver added, in the order added. */
  private List<InetSocketAddress> placement() {
    List<InetSocketAddress> all = new ArrayList<>(shards.addresses());
    for (Shards more : addedShards) {
      all.addAll(more.addresses());
    }
    return all;
  }

  /**
   * Moves an SGD model onto the shards {@link #moving} starts, a step at each of the driver's turns: once they
   * listen, the workers are asked to pause (their generations end at their positions, as at a hand-over); once none
   * runs, {@link #moveModel}. Shards that fail to start take the trial's workers back.
   */
  private void advanceMove() throws Exception {
    if (moving == null || !moving.isDone()) {
      return;
    }
    if (!pausedForMove) {
      try {
        moving.join();
      } catch (CompletionException e) {
        moving = null;
        int from = sgdScaling.workers();
        sgdScaling.shardsFailed(firstLine(e.getCause().getMessage()));
        decided(new ScalingDecision(secondsSinceStart(), updatesSoFar(), ScalingDecision.Resource.WORKERS, from,
            sgdScaling.workers(), sgdScaling.reason()));
        stopWorkersFrom(sgdScaling.workers());
        return;
      }
      pausedForMove = true;
      pausedAt = System.nanoTime();
      SgdWorker.retryingLostConnections(
          () -> driver.put(WorkerCheckpoints.stopKey(modelName), WorkerCheckpoints.stopFrom(0)));
      for (Slot slot : slots) {
        if (slot.live && refusedNow(slot)) {
          slot.running.kill().run(); // never begun: no stop key reaches it; it starts again after the move
        }
      }
      return;
    }
    if (slots.stream().noneMatch(slot -> slot.live)) {
      moveModel(moving.join());
    }
  }

  /**
   * With every worker paused, copies the model as the shards hold it onto them and {@code more} (values, optimizer
   * state, clock: nothing lost), makes it durable there where shards snapshot, names it in the resume point, deletes
   * the old slices and keys, and starts every worker again where it paused, over all the shards.
   */
  private void moveModel(Shards more) throws Exception {
    long began = System.nanoTime();
    addedShardsHeard.add(more.onRestart(restartListener(placement().size())));
    addedShards.add(more);
    moving = null;
    PsClient onto = PsClient.connect(placement(), shards.access(), 0);
    String movedName = modelName.replaceFirst("@\\d+$", "") + "@" + onto.shardCount();
    PsModel moved;
    try {
      moved = driver.copyModel(model, onto, movedName); // not retried: a copy adds the clock it carries
      if (shards.checkpoint() != null) {
        onto.snapshot(moved).get(60, TimeUnit.SECONDS); // before the resume point names it
      }
    } catch (Exception e) {
      onto.close();
      throw new TrainingFailedException("could not move model '" + modelName + "' onto " + placement().size()
          + " shards: " + e.getMessage(), e);
    }
    PsClient old = driver;
    String oldName = modelName;
    driver = onto;
    model = moved;
    modelName = movedName;
    pausedForMove = false;
    if (leavesResumePoint()) { // where every worker paused, before the old model is gone
      writeResumePoint(keptSlots().stream().map(slot -> slot.start).toList());
    }
    try {
      old.deleteModel(oldName).get(30, TimeUnit.SECONDS);
      for (String key : old.list(oldName + "/").get(30, TimeUnit.SECONDS)) {
        old.delete(key).get(30, TimeUnit.SECONDS);
      }
    } finally {
      old.close();
    }
    progress.accept(String.format("model moved onto %d shards at %,d updates: its workers paused for %.2f s, the copy"
        + " took %.2f s; they start again there", onto.shardCount(), updatesSoFar(),
        (System.nanoTime() - pausedAt) / 1e9, (System.nanoTime() - began) / 1e9));
    for (Slot slot : slots) {
      if (!takenAway(slot) && !slot.dataEnded) {
        launch(slot);
      }
    }
  }

  /** Whether {@code recorded}, what {@code slot} last recorded, is a position past its running generation's start. */
  private static boolean begun(Slot slot, WorkerCheckpoints.Recorded recorded) {
    return recorded != null && recorded.generation() == slot.generation
        && recorded.position().compareTo(slot.start) > 0;
  }

  /**
   * Whether a worker the driver runs is still {@link Slot#catchingUp}, after asking the shards about those that were
   * (they are no longer once they recorded a position past their start).
   */
  private boolean catchingUp() throws Exception {
    List<Slot> late = keptSlots().stream().filter(slot -> slot.catchingUp && !slot.dataEnded).toList();
    if (late.isEmpty()) {
      return false;
    }
    List<WorkerCheckpoints.Recorded> records = recordedBy(late);
    if (records == null) {
      return true; // a shard is restarting: asked again at the next evaluation
    }
    boolean any = false;
    for (int i = 0; i < late.size(); i++) {
      late.get(i).catchingUp = !begun(late.get(i), records.get(i));
      any |= late.get(i).catchingUp;
    }
    return any;
  }

  /** The workers the driver has not taken away ({@link SgdScaling}): always the lowest ids. */
  private List<Slot> keptSlots() {
    return slots.stream().filter(slot -> !slot.withdrawn).toList();
  }

  /**
   * What each of {@code workers} last recorded (null for one that recorded nothing), in their order; null when a
   * shard's connection was lost (it is restarting).
   */
  private List<WorkerCheckpoints.Recorded> recordedBy(List<Slot> workers) throws Exception {
    List<String> keys = workers.stream().map(slot -> WorkerCheckpoints.positionKey(modelName, slot.worker)).toList();
    List<byte[]> values;
    try {
      values = driver.multiGet(keys).get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ConnectionLostException) {
        return null;
      }
      throw e;
    }
    return values.stream().map(WorkerCheckpoints::decode).toList();
  }

  /** Whether the driver took {@code slot} away ({@link WorkerScaling}, {@link SgdScaling}): it gets no successor. */
  private static boolean takenAway(Slot slot) {
    return slot.withdrawn || slot.held != null && slot.assigned == null;
  }

  private void record(
      Slot slot, Position end, GenerationRecord.Ending ending, double endedAt, double workSeconds, String error) {
    generations.add(
        new GenerationRecord(
            slot.worker, slot.generation, slot.start, end, ending, slot.launchedAt, endedAt, workSeconds,
            slot.memoryMb, error));
  }

  /** Where a dead generation last said it was; its own start if it recorded nothing. */
  private Position lastRecorded(Slot slot) throws Exception {
    WorkerCheckpoints.Recorded recorded = recorded(slot.worker);
    return recorded != null && recorded.generation() == slot.generation ? recorded.position() : slot.start;
  }

  private WorkerCheckpoints.Recorded recorded(int worker) throws Exception {
    byte[] value = driver.get(WorkerCheckpoints.positionKey(modelName, worker)).get(30, TimeUnit.SECONDS);
    return WorkerCheckpoints.decode(value);
  }

  /** The position worker {@code w} last recorded, or null before it recorded any (or before the job started). */
  public Position recordedPosition(int w) throws Exception {
    if (driver == null) {
      return null;
    }
    WorkerCheckpoints.Recorded recorded = recorded(w);
    return recorded == null ? null : recorded.position();
  }

  private boolean allDataEnded() {
    for (Slot slot : slots) {
      if (!slot.dataEnded && !slot.withdrawn) {
        return false;
      }
    }
    return true;
  }

  /**
   * Worker w takes every {@code workers}-th partition; with more workers than partitions, SGD workers share them.
   */
  private int[] partitionsOf(int w) {
    int count = train.manifest().partitions().size();
    if (count <= w) {
      // an L-BFGS worker's rows count once in the sum: a worker beyond the partitions has none
      return spec.solver() == Solver.LBFGS ? new int[0] : new int[] {w % count};
    }
    List<Integer> mine = new ArrayList<>();
    for (int p = w; p < count; p += slots.size()) {
      mine.add(p);
    }
    return mine.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * The model's validation loss now; null when a shard's connection was lost while the model was read (the shard
   * restarts, and the next round reads it again).
   */
  private CurvePoint evaluate(EvaluationPace pace) throws Exception {
    long started = System.nanoTime();
    CurvePoint point = evaluate();
    if (point != null) {
      long ended = System.nanoTime();
      pace.evaluated(point.updates(), ended - started, ended); // when to evaluate next follows what this took
    }
    return point;
  }

  private CurvePoint evaluate() throws Exception {
    float[] weights;
    long updates;
    try {
      weights = driver.pullAll(model).get(60, TimeUnit.SECONDS);
      updates = driver.status(model).get(30, TimeUnit.SECONDS).clock();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ConnectionLostException) {
        return null;
      }
      throw e;
    }
    return score(weights, updates);
  }

  /**
   * Scores {@code weights} on the validation set (and the test curve's rows); an SGD training keeps them if the best so
   * far, an L-BFGS training only its optimum at each penalty.
   */
  private CurvePoint score(float[] weights, long updates) {
    IterateAverage.Scored read = IterateAverage.Scored.of(spec.objective(), weights, validation);
    // a mean of sparse reads is not sparse: an L1 model is offered as read; L-BFGS's iterates are no noisy plateau
    IterateAverage.Scored offered = spec.l1() > 0 || rounds != null ? read : average.offer(read);
    if (rounds == null) {
      keepIfBest(offered.weights(), offered.metrics().loss());
    }
    return curvePoint(new Scoring(offered, testLoss(offered.model())), secondsSinceStart(), updates);
  }

  /** An accepted L-BFGS iterate, {@code updates} passes in, at {@code seconds}, and its scoring under way. */
  private record PendingScore(float[] weights, long updates, double seconds, CompletableFuture<Scoring> scoring) {}

  /** What {@link #judge} made of an iterate: its point of the curve, and why to stop (null: go on). */
  private record Judged(CurvePoint point, StopReason stop) {}

  /**
   * Makes {@code pending}'s point of the curve once scored, and what the monitor, the cost cap and the observer make
   * of it.
   */
  private Judged judge(PendingScore pending, LossMonitor monitor) {
    CurvePoint scored = curvePoint(pending.scoring().join(), pending.seconds(), pending.updates());
    StopReason reason = monitor.observe(scored);
    if (reason == null) {
      reason = overBudget();
    }
    return new Judged(scored, reason != null ? reason : observer.observe(scored));
  }

  /** A model's scores: on the validation rows, and its test loss when the curve charts one (else NaN). */
  private record Scoring(IterateAverage.Scored validation, double testLoss) {}

  /** The test rows' mean loss of {@code model} when the curve charts it, else NaN; any thread. */
  private double testLoss(TrainedModel model) {
    return testCurve == null ? Double.NaN : model.meanLoss(testCurve);
  }

  /**
   * Scores {@code weights} on a thread of its own while the driver goes on (the next round), for {@link #curvePoint}
   * to make the curve's point at {@code seconds} once done.
   */
  private CompletableFuture<Scoring> scoreBeside(float[] weights) {
    return CompletableFuture.supplyAsync(() -> {
      IterateAverage.Scored read = IterateAverage.Scored.of(spec.objective(), weights, validation);
      return new Scoring(read, testLoss(read.model()));
    }, scorer);
  }

  /** The curve's point of {@code scoring}, made at {@code seconds} after {@code updates}; a status line now and then. */
  private CurvePoint curvePoint(Scoring scoring, double seconds, long updates) {
    ModelMetrics metrics = scoring.validation().metrics();
    double auc = metrics instanceof ClassifierMetrics classifier ? classifier.auc() : Double.NaN;
    CurvePoint point = new CurvePoint(seconds, updates, metrics.loss(), auc, scoring.testLoss());
    if (statusLines && point.seconds() >= lastStatusLine + STATUS_LINE_SECONDS) {
      lastStatusLine = point.seconds();
      progress.accept(
          String.format(
              "%6.1f s  %,11d %s  validation %s %.5f  %s%s  (%d workers, %d generations ended)",
              point.seconds(), point.updates(), updatesName(), spec.objective().lossName(), point.validationLoss(),
              metrics.headline(),
              testCurve == null ? "" : String.format("  test loss %.5f", scoring.testLoss()),
              rounds == null ? slots.size() : summing(),
              generations.size()));
    }
    return point;
  }

  /**
   * Whether the model of {@code candidate} beats that of {@code kept} on the validation rows by more than the
   * standard error of the rows' difference: a weaker penalty's optimum must earn its place (the one-standard-error
   * rule), or a few hundred validation rows' noise picks the weakest of the path (scikit-learn's digits: C = 10 by
   * 300 rows, 3.9% above the test loss at C = 1).
   */
  private boolean clearlyBetter(float[] candidate, float[] kept) {
    LinearModel challenger = (LinearModel) spec.objective().model(candidate);
    LinearModel holder = (LinearModel) spec.objective().model(kept);
    double sum = 0;
    double squares = 0;
    for (SparseRow row : validation) {
      double difference = challenger.loss(row) - holder.loss(row);
      sum += difference;
      squares += difference * difference;
    }
    int n = validation.length;
    double mean = sum / n;
    double standardError = Math.sqrt(Math.max(0, squares / n - mean * mean) / Math.max(1, n - 1));
    return mean < -standardError;
  }

  /** Keeps {@code weights}, trained at the penalty now, as the job's model if their validation loss is the best. */
  private void keepIfBest(float[] weights, double validationLoss) {
    keepIfBest(weights, validationLoss, currentL2());
  }

  /** Keeps {@code weights}, trained at penalty {@code l2}, as the job's model if their validation loss is the best. */
  private void keepIfBest(float[] weights, double validationLoss, float l2) {
    if (best == null || validationLoss < bestLoss) {
      keep(weights, validationLoss, l2);
    }
  }

  /** Keeps {@code weights}, of that validation loss, as the job's model, trained at penalty {@code l2}. */
  private void keep(float[] weights, double validationLoss, float l2) {
    best = weights;
    bestLoss = validationLoss;
    bestL2 = l2;
  }

  /** The mean label of the training set's first rows (as many as a validation set may have): a rating's scale. */
  private static double meanLabel(ObjectStore store, Dataset train) {
    SparseRow[] rows = DatasetReader.firstRows(store, train, MEAN_LABEL_ROWS);
    double sum = 0;
    for (SparseRow row : rows) {
      sum += row.label();
    }
    return rows.length == 0 ? 0 : sum / rows.length;
  }

  /** The model's clock (SGD's pushes), or an L-BFGS training's passes. */
  private long updatesSoFar() throws Exception {
    if (rounds != null) {
      return passes();
    }
    return SgdWorker.retryingLostConnections(() -> driver.status(model)).clock();
  }

  /** Asks every worker to stop and waits for their last generations to return. */
  private void stopWorkers() throws Exception {
    stopping = true;
    SgdWorker.retryingLostConnections(() -> driver.put(WorkerCheckpoints.stopKey(modelName), WorkerCheckpoints.stopFrom(0)));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STOP_GRACE_SECONDS);
    for (Slot slot : slots) {
      try {
        slot.queued.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        slot.running.kill().run(); // it is dead, failed, or past the grace: either way it is recorded as died below
        try {
          slot.queued.get(KILLED_QUEUED_SECONDS, TimeUnit.SECONDS);
        } catch (Exception ignored) {
          // failed (recorded as died), or its launcher did not end it: not recorded, as before this wait
        }
      }
    }
    for (Slot slot; (slot = ended.poll()) != null; ) {
      if (slot != WAKE_UP) {
        settle(slot);
      }
    }
  }

  private double secondsSinceStart() {
    return (System.nanoTime() - start) / 1e9;
  }

  private static long perWorker(long storedBytes, int workers) {
    return (storedBytes + workers - 1) / workers;
  }

  private static String megabytes(long bytes) {
    return String.format("%.1f MB", bytes / 1e6);
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "(no message)";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  /**
   * Stops whatever still runs (after a failure): workers are asked to stop, then killed. Then deletes the job's model
   * and keys from the shards, which may serve other jobs after this one, and its resume point: a closed job is not
   * resumed.
   */
  @Override
  public void close() {
    stopping = true;
    scorer.shutdownNow();
    try {
      restartsHeard.close();
    } catch (Exception e) {
      throw new IllegalStateException(e); // removing a listener does not fail
    }
    if (driver != null) {
      try {
        driver.put(WorkerCheckpoints.stopKey(modelName), WorkerCheckpoints.stopFrom(0)).get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // The shards are gone already: the workers will fail on their own.
      }
    }
    launcher.close();
    if (driver != null) {
      try {
        driver.deleteModel(modelName).get(10, TimeUnit.SECONDS);
        if (rounds != null) {
          rounds.end(); // a round the job failed in
        }
        if (leavesResumePoint()) {
          store.delete(resumePoint()); // its model's snapshots are gone with the model
        }
        for (String name : retired == null ? List.of(modelName) : List.of(modelName, retired)) {
          for (String key : driver.list(name + "/").get(10, TimeUnit.SECONDS)) {
            driver.delete(key).get(10, TimeUnit.SECONDS);
          }
        }
      } catch (Exception e) {
        progress.accept("could not delete model " + modelName + " from the shards: " + e.getMessage());
      }
      driver.close();
    }
    if (roundShards != null) {
      try {
        roundShards.close();
      } catch (Exception e) {
        progress.accept("could not stop the shards the training added: " + e.getMessage());
      }
    }
    closeAddedShards();
  }

  /** Stops the shards an SGD model was moved onto, and those still starting for it once they have. */
  private void closeAddedShards() {
    if (moving != null) {
      try {
        addedShards.add(moving.join());
      } catch (CompletionException e) {
        // none started
      }
      moving = null;
    }
    for (AutoCloseable heard : addedShardsHeard) {
      try {
        heard.close();
      } catch (Exception e) {
        throw new IllegalStateException(e); // removing a listener does not fail
      }
    }
    for (Shards more : addedShards) {
      try {
        more.close();
      } catch (Exception e) {
        progress.accept("could not stop the shards the training added: " + e.getMessage());
      }
    }
  }
}
