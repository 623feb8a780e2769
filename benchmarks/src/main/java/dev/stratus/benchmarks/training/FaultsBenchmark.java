package dev.stratus.benchmarks.training;

import dev.stratus.benchmarks.Directories;
import dev.stratus.benchmarks.Machine;
import dev.stratus.jobs.train.CurvePoint;
import dev.stratus.jobs.train.ShardRestart;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.jvm.ChildJvm;
import dev.stratus.jvm.ChildProcess;
import dev.stratus.jvm.LinuxProcesses;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.reference.Liblinear;
import dev.stratus.ps.server.PsServer;
import dev.stratus.ps.server.ShardConfig;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.StoreSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * What a fault costs a training on LambdaRunner (its embedded Lambda service with process environments, shard
 * processes that snapshot to the embedded S3 server), side by side with the same training without one, for snapshot
 * intervals of 1, 5 and 20 s: no fault; shard 0's process killed (SIGKILL) at 70% of the no-fault run's time to the
 * target, which the driver's {@code PsProcesses.restartWhenDead} brings back from its snapshot; and the driver JVM
 * killed at the same point, then the same training run again with {@code --resumeTraining}. Each training's driver is
 * a JVM of its own ({@link FaultDriver}); the store is this JVM's, so it outlives a driver as S3 would. Reported: the
 * time from the training's start until the held-out loss is within 1% of liblinear's optimum (a killed driver's
 * training until the kill, then the whole of the run that resumes it), and the updates lost. Then what snapshots cost
 * when nothing fails: updates/s with snapshots every 5 s (the default) against snapshots off, in alternating pairs.
 *
 * <pre>mvn -q -pl benchmarks exec:java@faults [-Dexec.args="--rows 1000000 --workers 2 --shards 2 --killAt 0.7
 *     --costRounds 2 --seconds 40"]</pre>
 */
public final class FaultsBenchmark {
  /**
   * AdaGrad's rate: below the 0.05 of the other training benchmarks, so that the loss reaches liblinear's band some
   * 10 s into the training and a fault lands while progress is at stake.
   */
  static final float LEARNING_RATE = 0.03f;
  private static final int[] INTERVALS = {1, 5, 20};
  /** What SgdTrainingOnWorkers prints as the training starts: its curve's zero, near enough. */
  private static final String TRAINING_STARTS = "training on ";
  /** How long a driver may take to start training (a JVM, the Lambda service, cold environments, shards). */
  private static final long START_BOUND_SECONDS = 180;
  /** How a resumed driver fails when its shards' snapshots hold no update (TrainingDriver's message). */
  private static final String RESUME_REFUSED = "cannot resume the training";
  /** How often a running driver's processes are noted, so that none outlives the benchmark. */
  private static final long SAMPLE_MILLIS = 200;
  /** The budget of the training that warms the machine up before the measured ones. */
  private static final int WARM_UP_SECONDS = 10;
  /** A log record at INFO, as the project's slf4j-simple settings write it: the time of day first. */
  private static final Pattern INFO_RECORD = Pattern.compile("\\d\\d:\\d\\d:\\d\\d\\.\\d+ \\[.*\\] INFO .*");

  private FaultsBenchmark() {}

  private enum Fault {
    NONE("no fault"),
    SHARD("shard 0 killed"),
    DRIVER("driver killed, resumed"),
    DRIVER_FROM_SCRATCH("driver killed, nothing to resume: run again from scratch");

    final String label;

    Fault(String label) {
      this.label = label;
    }
  }

  /** What every training of the run shares. */
  private record Settings(long rows, int workers, int shards, int seconds, ObjectStore store, double target) {}

  /**
   * One case's outcome: {@code toTarget} is seconds from the (first) training's start to the loss within 1% of
   * liblinear's, NaN if never; {@code faultAt} the training second of the kill, NaN without one; {@code start} the
   * seconds from the last driver's launch to its training's start; {@code shardCpu} the CPU seconds of its shards.
   */
  private record Outcome(int interval, Fault fault, TrainResult result, double toTarget, double faultAt,
      double start, double shardCpu) {}

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Exception e) {
      e.printStackTrace();
      Machine.printLoad("at the end");
      System.exit(1); // the embedded store's threads would keep this JVM alive
    }
    System.exit(0);
  }

  private static void run(String[] args) throws Exception {
    long rows = 1_000_000;
    int workers = 2;
    int shards = 2;
    int seconds = 40;
    double killAt = 0.7;
    int costRounds = 2;
    boolean faults = true;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Long.parseLong(args[i + 1]);
        case "--workers" -> workers = Integer.parseInt(args[i + 1]);
        case "--shards" -> shards = Integer.parseInt(args[i + 1]);
        case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
        case "--killAt" -> killAt = Double.parseDouble(args[i + 1]);
        case "--costRounds" -> costRounds = Integer.parseInt(args[i + 1]);
        case "--faults" -> faults = switch (args[i + 1]) {
          case "on" -> true;
          case "off" -> false;
          default -> throw new IllegalArgumentException("--faults takes on or off, got " + args[i + 1]);
        };
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (--rows N, --workers N,"
            + " --shards N, --seconds S, --killAt FRACTION of the no-fault time to the target, --costRounds N,"
            + " --faults on|off: off measures only what snapshots cost)");
      }
    }
    long started = System.nanoTime();
    BenchmarkData data = BenchmarkData.prepare(rows);
    Machine.printLoad("at the start");
    SparseRow[] test = data.testRows(100_000);
    Liblinear.Optimum optimum = Liblinear.bestOf(DatasetReader.readAll(data.store, data.train), Arrays.asList(test),
        LambdaTraining.LIBLINEAR_C);
    Settings settings = new Settings(rows, workers, shards, seconds, data.store,
        optimum.test().loss() * 1.01);
    System.out.printf(Locale.ROOT, "%,d training rows, %,d validation rows for the monitor, %,d test rows for the"
            + " target, 2^%d features; %d Lambda workers, %d shard processes, AdaGrad %.2f, budget %d s a training;"
            + " liblinear-train -s 0, best C of %s: C = %s, test logloss %.5f, target %.5f; faults at %.0f%% of the"
            + " no-fault training's time to the target%n",
        data.train.rowCount(), data.validation.rowCount(), test.length, BenchmarkData.MODEL_BITS, workers, shards,
        LEARNING_RATE, seconds,
        Arrays.toString(LambdaTraining.LIBLINEAR_C), optimum.c(), optimum.test().loss(), settings.target(),
        100 * killAt);

    int every = ShardConfig.DEFAULT_SNAPSHOT_EVERY_SECONDS;
    // not measured: the first driver would pay alone for cold caches (class files, the store server's JIT)
    noFault(new Settings(rows, workers, shards, WARM_UP_SECONDS, data.store, settings.target()), "faults-warm-up",
        every);
    List<Outcome> outcomes = new ArrayList<>();
    for (int interval : faults ? INTERVALS : new int[0]) {
      Outcome none = noFault(settings, "faults-" + interval + "s-none", interval);
      double toTarget = LambdaTraining.timeToTarget(none.result(), settings.target());
      double faultAt = killAt * (Double.isNaN(toTarget) ? lastSecond(none.result()) : toTarget);
      outcomes.add(none);
      outcomes.add(shardKilled(settings, "faults-" + interval + "s-shard", interval, faultAt));
      outcomes.add(driverKilled(settings, "faults-" + interval + "s-driver", interval, faultAt));
    }
    if (faults) {
      System.out.println();
      printFaults(outcomes, settings);
    }
    List<Outcome[]> pairs = new ArrayList<>();
    for (int round = 0; round < costRounds; round++) {
      // alternating which goes first, so that a trend in the machine's load favours neither
      boolean offFirst = round % 2 == 0;
      Outcome first = noFault(settings, "faults-cost-" + round + "a", offFirst ? 0 : every);
      Outcome second = noFault(settings, "faults-cost-" + round + "b", offFirst ? every : 0);
      pairs.add(offFirst ? new Outcome[] {first, second} : new Outcome[] {second, first});
    }
    if (!pairs.isEmpty()) {
      System.out.println();
      printCost(pairs, every);
    }
    System.out.printf(Locale.ROOT, "%nWhole run %.1f min.%n", (System.nanoTime() - started) / 60e9);
    Machine.printLoad("at the end");
  }

  private static Outcome noFault(Settings settings, String name, int interval) throws Exception {
    try (DriverRun run = new DriverRun(settings, name, interval, false)) {
      run.awaitTrainingStart();
      run.finish(settings.seconds());
      return outcome(settings, run, interval, Fault.NONE, Double.NaN, Double.NaN);
    }
  }

  private static Outcome shardKilled(Settings settings, String name, int interval, double faultAt) throws Exception {
    try (DriverRun run = new DriverRun(settings, name, interval, false)) {
      long start = run.awaitTrainingStart();
      boolean killed = run.await(start + seconds(faultAt), () -> false) && run.killShard(0);
      run.finish(settings.seconds());
      return outcome(settings, run, interval, Fault.SHARD, killed ? faultAt : Double.NaN, Double.NaN);
    }
  }

  private static Outcome driverKilled(Settings settings, String name, int interval, double faultAt)
      throws Exception {
    double before; // seconds of the killed training, and of a resume that found nothing to resume from
    try (DriverRun run = new DriverRun(settings, name, interval, false)) {
      long start = run.awaitTrainingStart();
      if (!run.await(start + seconds(faultAt), () -> false)) {
        run.finish(settings.seconds());
        return outcome(settings, run, interval, Fault.DRIVER, Double.NaN, Double.NaN);
      }
      run.killDriver();
      before = (System.nanoTime() - start) / 1e9;
    }
    try (DriverRun run = new DriverRun(settings, name, interval, true)) {
      run.awaitTrainingStart();
      if (run.finish(settings.seconds())) {
        return outcome(settings, run, interval, Fault.DRIVER, faultAt, before);
      }
      before += (System.nanoTime() - run.launched) / 1e9;
    }
    // what a user does when the snapshots hold nothing to resume from: the same training from scratch
    try (DriverRun run = new DriverRun(settings, name, interval, false)) {
      run.awaitTrainingStart();
      run.finish(settings.seconds());
      return outcome(settings, run, interval, Fault.DRIVER_FROM_SCRATCH, faultAt, before);
    }
  }

  /**
   * What {@code run} trained to. It reached the target {@code before} seconds, and its own start, after the runs
   * before it; NaN: there were none, and its time counts from its training's start.
   */
  private static Outcome outcome(Settings settings, DriverRun run, int interval, Fault fault, double faultAt,
      double before) {
    TrainResult result = LambdaTraining.savedResult(settings.store(), run.name);
    double toTarget = LambdaTraining.timeToTarget(result, settings.target());
    return new Outcome(interval, fault, result,
        Double.isNaN(before) ? toTarget : before + run.startSeconds() + toTarget, faultAt, run.startSeconds(),
        run.shardCpuSeconds());
  }

  private static long seconds(double seconds) {
    return (long) (seconds * 1e9);
  }

  private static double lastSecond(TrainResult r) {
    return r.curve().get(r.curve().size() - 1).seconds();
  }

  /** The model's updates at {@code seconds} into training, read off the curve (linearly between its points). */
  private static double updatesAt(TrainResult r, double seconds) {
    List<CurvePoint> curve = r.curve();
    for (int i = 1; i < curve.size(); i++) {
      CurvePoint a = curve.get(i - 1);
      CurvePoint b = curve.get(i);
      if (b.seconds() >= seconds) {
        return a.updates() + (b.updates() - a.updates()) * (seconds - a.seconds()) / (b.seconds() - a.seconds());
      }
    }
    return curve.get(curve.size() - 1).updates();
  }

  /**
   * Updates/s while the workers ran: from the curve's first point with updates to its last, leaving out the launch
   * and the stop, which are the same with or without snapshots.
   */
  private static double workingRate(TrainResult r) {
    CurvePoint last = r.curve().get(r.curve().size() - 1);
    CurvePoint first = r.curve().stream().filter(p -> p.updates() > 0).findFirst().orElse(last);
    return last.seconds() > first.seconds() ? (last.updates() - first.updates()) / (last.seconds() - first.seconds())
        : Double.NaN;
  }

  private static void printFaults(List<Outcome> outcomes, Settings settings) {
    System.out.printf(Locale.ROOT, "Time to within 1%% of liblinear's optimum (test logloss %.5f), seconds from"
        + " the training's start (driver killed: its training until the kill, then the whole of the run that resumes"
        + " it, its driver's start included):%n%n", settings.target());
    System.out.println("| snapshot every | fault | at training s | time to target s | vs no fault | delay s |"
        + " driver start s | snapshot age s | updates lost | goal: delay <= interval + 5 s | updates/s | kept validation loss |");
    System.out.println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|");
    Outcome none = null;
    for (Outcome o : outcomes) {
      if (o.fault() == Fault.NONE) {
        none = o;
      }
      TrainResult r = o.result();
      double delay = o.toTarget() - none.toTarget();
      String age = "-";
      String lost = "-";
      if (o.fault() == Fault.SHARD && !r.shardRestarts().isEmpty()) {
        double ageSeconds = r.shardRestarts().stream().mapToDouble(ShardRestart::snapshotAgeSeconds).max()
            .orElseThrow();
        age = String.format(Locale.ROOT, "%.1f", ageSeconds);
        lost = String.format(Locale.ROOT, "%,d (~%,.0f at the no-fault pace)",
            r.shardRestarts().stream().mapToLong(ShardRestart::updatesLost).sum(),
            updatesAt(none.result(), o.faultAt()) - updatesAt(none.result(), Math.max(0, o.faultAt() - ageSeconds)));
      } else if (o.fault() != Fault.NONE && !Double.isNaN(o.faultAt())) {
        // the killed driver's clock died with it: the no-fault run's at the same second is what it may have been
        lost = String.format(Locale.ROOT, "resumed at %,d of ~%,.0f", Math.max(0, r.resumedAtUpdates()),
            updatesAt(none.result(), o.faultAt()));
      }
      String at = o.fault() == Fault.NONE ? "" : Double.isNaN(o.faultAt()) ? "none: it ended first"
          : format(o.faultAt(), "%.1f");
      String goal = o.fault() != Fault.SHARD || Double.isNaN(o.faultAt()) ? ""
          : Double.isNaN(delay) ? "target not reached" : delay <= o.interval() + 5 ? "met" : "not met";
      System.out.printf(Locale.ROOT, "| %d s | %s | %s | %s | %s | %s | %.1f | %s | %s | %s | %,.0f | %.5f |%n",
          o.interval(), o.fault().label, at, format(o.toTarget(), "%.1f"),
          o.fault() == Fault.NONE ? "" : format(o.toTarget() / none.toTarget(), "%.2fx"),
          o.fault() == Fault.NONE ? "" : format(delay, "%+.1f"), o.start(), age, lost, goal, workingRate(r),
          r.validationMetrics().loss());
    }
    System.out.println("""

        at training s: when the fault came, in seconds of the training's own clock.
        delay: time to target minus the no-fault run's of the same interval; a run-to-run spread of a few seconds
               is SGD's and the machine's, not the fault's (compare the no-fault rows of the three intervals).
        driver start: from the launch of the row's last driver JVM to its training's start (the Lambda service,
               two small tasks in cold environments, the shards); part of the time to target after a driver kill.
        snapshot age: how old the killed shard's restored snapshot was when the driver saw it die
               (TrainResult.shardRestarts).
        updates lost: pushes the killed shard held, as the driver last saw them (every 0.5 s), that its snapshot
               did not (TrainResult.shardRestarts), then the no-fault run's updates over the seconds from the
               snapshot to the kill, what they would be at its pace; for the driver, the clock the resumed run restored
               (TrainResult.resumedAtUpdates; 0 when run from scratch) of the no-fault run's updates at the kill's
               second, which stand in for the killed driver's own count, gone with it.
        updates/s: while the workers ran, from the curve's first point with updates to its last.""");
  }

  private static void printCost(List<Outcome[]> pairs, int every) {
    System.out.printf(Locale.ROOT, "What snapshots cost when nothing fails: snapshots every %d s (the default) against"
        + " off (--psSnapshotEverySeconds=0: one when the model is created), in pairs of trainings run back to back,"
        + " alternating which went first:%n%n", every);
    System.out.printf("| round | updates/s, off | updates/s, every %d s | ratio | shard CPU ms per 1,000 updates, off"
        + " | every %d s | ratio |%n", every, every);
    System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
    double[] rates = new double[pairs.size()];
    double[] cpus = new double[pairs.size()];
    for (int i = 0; i < pairs.size(); i++) {
      Outcome off = pairs.get(i)[0];
      Outcome on = pairs.get(i)[1];
      rates[i] = workingRate(on.result()) / workingRate(off.result());
      cpus[i] = cpuPerUpdate(on) / cpuPerUpdate(off);
      System.out.printf(Locale.ROOT, "| %d | %,.0f | %,.0f | %.3fx | %.2f | %.2f | %.3fx |%n", i + 1,
          workingRate(off.result()), workingRate(on.result()), rates[i], 1e6 * cpuPerUpdate(off),
          1e6 * cpuPerUpdate(on), cpus[i]);
    }
    double rate = median(rates);
    System.out.printf(Locale.ROOT, "median ratio of updates/s %.3fx (goal: at least 0.950x, snapshots costing at most"
        + " 5%%): %s; median ratio of the shards' CPU per update %.3fx%n", rate, rate >= 0.95 ? "met" : "not met",
        median(cpus));
    System.out.println("""
        updates/s: while the workers ran, from the curve's first point with updates to its last.
        shard CPU: the shard processes' CPU time over the training's updates (snapshots are taken there; the store
               that receives them runs in this JVM and is not counted).""");
  }

  private static double cpuPerUpdate(Outcome o) {
    return o.shardCpu() / o.result().updates();
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static String format(double value, String format) {
    return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, format, value);
  }

  /**
   * A {@link FaultDriver} JVM and every process it started (shards, Lambda environments), none of which {@link #close}
   * leaves running: they are noted while the driver runs, since a killed driver's children are nobody's descendants
   * any more. Its temporary files (the Lambda service's working directory) go to a directory {@link #close} deletes,
   * which a killed driver could not.
   */
  private static final class DriverRun implements AutoCloseable {
    final long launched = System.nanoTime();
    final String name;
    private final CompletableFuture<Long> trainingStarted = new CompletableFuture<>();
    private final Set<ProcessHandle> started = ConcurrentHashMap.newKeySet();
    /** The shard processes among them, with the CPU time each had used when last seen. */
    private final Map<ProcessHandle, Duration> shardCpu = new ConcurrentHashMap<>();
    private final Path tmp = Files.createTempDirectory("stratus-faults-driver");
    private final ChildProcess driver;
    private final ProcessHandle handle;
    private boolean killed;
    private volatile boolean resumeRefused;

    DriverRun(Settings settings, String name, int snapshotEvery, boolean resume) throws IOException {
      this.name = name;
      StoreSpec store = settings.store().reachableSpec();
      List<String> arguments = new ArrayList<>(List.of(String.valueOf(settings.rows()), name,
          String.valueOf(settings.workers()), String.valueOf(settings.shards()), String.valueOf(settings.seconds()),
          "--runner=LambdaRunner", "--storeEndpoint=" + store.endpoint(), "--storeRegion=" + store.region(),
          "--storeAccessKey=" + store.accessKey(), "--psSnapshotEverySeconds=" + snapshotEvery));
      if (resume) {
        arguments.add("--resumeTraining");
      }
      driver = ChildJvm.mainClass(FaultDriver.class)
          .jvmOptions("-Djava.io.tmpdir=" + tmp)
          .arguments(arguments)
          .name("driver " + name)
          .environment(FaultDriver.STORE_SECRET_ENV, store.secretKey())
          .output(ChildProcess.Output.lines(line -> {
            if (line.startsWith(TRAINING_STARTS)) {
              trainingStarted.complete(System.nanoTime());
            }
            resumeRefused |= line.contains(RESUME_REFUSED);
            // the runner's and the shards' INFO records (stages, ports) are many and say nothing of the faults
            if (!INFO_RECORD.matcher(line).matches()) {
              System.out.println("    " + name + " | " + line);
            }
          }))
          .start();
      handle = ProcessHandle.of(driver.pid()).orElseThrow();
    }

    /** The nanoTime at which the training started, once it has. */
    long awaitTrainingStart() throws InterruptedException {
      await(launched + seconds(START_BOUND_SECONDS), trainingStarted::isDone);
      if (!trainingStarted.isDone()) {
        throw new IllegalStateException(name + ": the driver " + (driver.isAlive()
            ? "printed no '" + TRAINING_STARTS.trim() + "' line within " + START_BOUND_SECONDS + " s"
            : "ended (code " + driver.exitCode() + ") before the training started"));
      }
      return trainingStarted.join();
    }

    /**
     * Waits until {@code deadline} (a nanoTime), the driver's end or {@code done}, noting the processes it started;
     * true if it still runs.
     */
    boolean await(long deadline, BooleanSupplier done) throws InterruptedException {
      while (handle.isAlive() && !done.getAsBoolean() && System.nanoTime() < deadline) {
        handle.descendants().forEach(this::note);
        Thread.sleep(Math.max(1, Math.min(SAMPLE_MILLIS, (deadline - System.nanoTime()) / 1_000_000)));
      }
      return handle.isAlive();
    }

    /**
     * Waits for the driver to end, within its training budget and a bound for its start and stop: true if it
     * succeeded, false if it refused to resume for want of snapshots; it fails otherwise.
     */
    boolean finish(int budgetSeconds) throws InterruptedException {
      if (await(launched + seconds(START_BOUND_SECONDS + 2.0 * budgetSeconds), () -> false)) {
        throw new IllegalStateException(name + ": the driver still runs " + (START_BOUND_SECONDS + 2 * budgetSeconds)
            + " s after its launch");
      }
      driver.waitFor(Duration.ofSeconds(10)); // its last lines
      if (driver.exitCode() != 0 && !resumeRefused) {
        throw new IllegalStateException(name + ": the driver failed (exit code " + driver.exitCode() + ")");
      }
      return driver.exitCode() == 0;
    }

    private void note(ProcessHandle process) {
      started.add(process);
      // checked again until it is one: a process just forked has its parent's command line for a moment
      if (shardCpu.containsKey(process) || shardIndex(process) >= 0) {
        shardCpu.merge(process, process.info().totalCpuDuration().orElse(Duration.ZERO),
            (before, now) -> now.compareTo(before) > 0 ? now : before);
      }
    }

    /** CPU seconds the shard processes used, as last seen (they end with the driver). */
    double shardCpuSeconds() {
      return shardCpu.values().stream().mapToLong(Duration::toNanos).sum() / 1e9;
    }

    /** Kills shard {@code shard}'s process (SIGKILL), as a crash would; false if none runs. */
    boolean killShard(int shard) {
      List<ProcessHandle> shards = handle.descendants().filter(p -> shardIndex(p) == shard).toList();
      shards.forEach(ProcessHandle::destroyForcibly);
      return !shards.isEmpty();
    }

    /** The shard a process of the driver's serves, or -1 if it is no shard. */
    private static int shardIndex(ProcessHandle process) {
      List<String> arguments = LinuxProcesses.commandLine(process.pid());
      int at = arguments.indexOf("--shard");
      return arguments.contains(PsServer.class.getName()) && at >= 0 && at + 1 < arguments.size()
          ? Integer.parseInt(arguments.get(at + 1)) : -1;
    }

    /**
     * Kills the driver JVM (SIGKILL), as a crash would, then at once what it started: they would end within seconds of
     * it by themselves, but an old shard meanwhile would still hold the port and snapshot location of the next run.
     */
    void killDriver() {
      List<ProcessHandle> children = handle.descendants().toList(); // taken before: then they are orphans
      handle.destroyForcibly();
      children.forEach(ProcessHandle::destroyForcibly);
      started.addAll(children);
      killed = true;
    }

    /** Seconds from this driver's launch to its training's start. */
    double startSeconds() {
      return (trainingStarted.join() - launched) / 1e9;
    }

    @Override
    public void close() throws InterruptedException, IOException {
      if (handle.isAlive()) {
        handle.descendants().forEach(this::note);
      }
      driver.close(); // SIGTERM, then SIGKILL with its descendants after a grace
      List<ProcessHandle> left = started.stream().filter(ProcessHandle::isAlive).toList();
      if (!left.isEmpty() && !killed) {
        System.out.printf("    %s | %d processes the driver started outlived it: killed%n", name, left.size());
      }
      left.forEach(ProcessHandle::destroyForcibly);
      for (ProcessHandle p : left) {
        p.onExit().completeOnTimeout(p, 10, TimeUnit.SECONDS).join();
      }
      Directories.deleteRecursively(tmp);
    }
  }
}
