package dev.stratus.benchmarks.preprocess;

import dev.stratus.benchmarks.CloudRun;
import dev.stratus.benchmarks.Directories;
import dev.stratus.benchmarks.Machine;
import dev.stratus.benchmarks.ProcessTreeCpu;
import dev.stratus.benchmarks.Topology;
import dev.stratus.dsl.LoadCriteo;
import dev.stratus.dsl.Normalize;
import dev.stratus.jvm.ClassPath;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetCoder;
import dev.stratus.kernels.dataset.FeatureStatistics;
import dev.stratus.kernels.dataset.PartitionInfo;
import dev.stratus.kernels.dataset.ScalingMethod;
import dev.stratus.kernels.generate.CriteoGenerator;
import dev.stratus.kernels.preprocess.FeatureScaler;
import dev.stratus.kernels.text.CriteoFormat;
import dev.stratus.kernels.text.RowParser;
import dev.stratus.kernels.text.TextLoader;
import dev.stratus.lambda.local.FunctionSpec;
import dev.stratus.lambda.local.FunctionStats;
import dev.stratus.lambda.local.LocalLambdaService;
import dev.stratus.runner.lambda.LambdaPipelineResult;
import dev.stratus.runner.lambda.LambdaRunnerOptions;
import dev.stratus.runner.lambda.message.WorkerFunction;
import dev.stratus.runner.lambda.scheduler.StageReport;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.topology.CloudTopology;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.joda.time.Duration;
import software.amazon.awssdk.services.lambda.LambdaClient;

/**
 * Load + normalize of generated Criteo rows on the DirectRunner and on LambdaRunner (process environments, cold
 * starts included), step by step, beside a plain single-threaded Java loop doing the same parse-hash-scale over the
 * same files in memory: the cost floor, so the ratio is what the pipeline (Beam, the object store, the partition
 * codec, and on LambdaRunner the invocations) adds.
 *
 * <p>LambdaRunner runs where {@code --topology} says ({@link Topology}): on {@code loopback}, against a local Lambda
 * service and the embedded store in this JVM, five times: at its defaults (as many attempts at once as this machine
 * has cores, Lambda's Java 17 default of a JIT that stops at C1), with the environments' uploads hashed with SHA-256
 * as the AWS SDK signs them over plain HTTP (what the store client did on loopback before), with each task's writes
 * one at a time (as before they went out several at once), with the previous default of eight attempts at once, and
 * with the function's JAVA_TOOL_OPTIONS asking for the full JIT; in the {@code cloud} ({@link CloudRun}: the store
 * and the Lambda service each in a network namespace, the store behind S3's delays), twice: at its defaults, and
 * with each task's writes one at a time. Either way
 * its input is the generated files uploaded to that topology's store (the upload timed as a step of its own), since
 * workers in the cloud cannot read the driver's disk. Its time is split into what the tasks report (time in workers,
 * of which store I/O) and the driver's share; on loopback also into the Lambda service's counts (cold starts, init,
 * time in handlers), which in the cloud stay in the Lambda node's process.
 *
 * <pre>mvn -q -o -pl benchmarks compile exec:java@load-normalize [-Dexec.args="--rows 1000000 --files 1 --topology loopback,cloud"]</pre>
 */
public final class LoadNormalizeBenchmark {
  private static final int MODEL_BITS = 20;
  private static final String FUNCTION = "stratus-worker";
  private static final int FUNCTION_MEMORY_MB = 1024;
  private static final int FUNCTION_TIMEOUT_SECONDS = 300;
  private static final String BUCKET = "bench";
  private static final String INPUT_FILES = "day_*.tsv";
  /** Where LambdaRunner reads the generated files in its topology's store. */
  private static final String UPLOADED_INPUT = "s3://" + BUCKET + "/input/";
  private static final Duration STEP_LIMIT = Duration.standardMinutes(5);

  private LoadNormalizeBenchmark() {}

  /**
   * One measured step: wall time, and CPU time of every process of the run ({@link ProcessTreeCpu}: this JVM, the
   * embedded store's threads included, and every process it started, Lambda environments and the cloud topology's
   * nodes among them), which the other builds sharing this machine disturb less than wall time.
   */
  private record Step(String name, long rows, double seconds, double cpuSeconds, long bytes) {
    String row(Step floor, int nameWidth) {
      return String.format("| %-" + nameWidth + "s | %,10d | %7.2f | %7.2f | %,11.0f | %7.1f | %7.1f | %s | %s |",
          name, rows, seconds, cpuSeconds, rows / seconds, bytes / 1e6, bytes / 1e6 / seconds,
          floor == null ? "          " : String.format("%9.1fx", seconds / floor.seconds),
          floor == null ? "         " : String.format("%8.1fx", cpuSeconds / floor.cpuSeconds));
    }

    Step plus(String total, Step other, long totalBytes) {
      return new Step(total, rows, seconds + other.seconds, cpuSeconds + other.cpuSeconds, totalBytes);
    }

    Step withBytes(long newBytes) {
      return new Step(name, rows, seconds, cpuSeconds, newBytes);
    }
  }

  /** A row of the steps table: a step, and the plain loop's step it is compared with (null: none). */
  private record TableRow(Step step, Step floor) {}

  /** Wall time and the process tree's CPU time since it was made. */
  private static final class Timer {
    private final long wall = System.nanoTime();
    private final double cpu = ProcessTreeCpu.seconds();

    Step step(String name, long rows, long bytes) {
      return new Step(name, rows, (System.nanoTime() - wall) / 1e9, ProcessTreeCpu.seconds() - cpu, bytes);
    }
  }

  public static void main(String[] args) throws IOException {
    long rows = 1_000_000;
    int files = 1; // one file like a Criteo day: the loader cuts it into ranges parsed in parallel
    List<Topology> topologies = List.of(Topology.LOOPBACK);
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Long.parseLong(args[i + 1].replace("_", ""));
        case "--files" -> files = Integer.parseInt(args[i + 1]);
        case "--topology" -> topologies = Topology.parse(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
            + " (--rows N, --files F, --topology loopback|cloud|loopback,cloud)");
      }
    }
    // refuse now, not after minutes of measuring the other runs
    if (topologies.contains(Topology.CLOUD) && CloudTopology.unavailableReason() != null) {
      throw new IllegalStateException("--topology cloud needs network namespaces: " + CloudTopology.unavailableReason());
    }
    Path work = Files.createTempDirectory("stratus-load-normalize");
    try {
      run(work, rows, files, topologies);
    } finally {
      Directories.deleteRecursively(work);
    }
    // the embedded store's server threads are not daemons: end the JVM (and exec:java) here
    System.exit(0);
  }

  /** The small file that warms up the runners before anything is measured. */
  private static Path warmUpFile(Path work) {
    return work.resolve("warm-up").resolve("warm-up.tsv");
  }

  private static void run(Path work, long rows, int files, List<Topology> topologies) throws IOException {
    System.out.printf("Load + normalize of %,d generated Criteo rows in %d files, modelBits %d, LambdaRunner on %s,"
        + " %d cores (load average %.1f), Java %s%n", rows, files, MODEL_BITS,
        topologies.stream().map(Topology::label).collect(Collectors.joining(" and ")),
        Runtime.getRuntime().availableProcessors(), Machine.loadAverage(), Runtime.version());

    // the input: one generator seed per file
    Timer generating = new Timer();
    List<Path> inputs = new ArrayList<>();
    long inputBytes = 0;
    double bayes = 0;
    for (int f = 0; f < files; f++) {
      Path file = work.resolve("input").resolve(String.format("day_%02d.tsv", f));
      Files.createDirectories(file.getParent());
      long share = rows / files + (f < rows % files ? 1 : 0);
      CriteoGenerator.Summary s = CriteoGenerator.withSeed(42 + f).writeTsv(file, share);
      inputs.add(file);
      inputBytes += s.bytes();
      bayes += s.bayesLogloss() * share / rows;
    }
    Step generate = generating.step("generate (CriteoGenerator)", rows, inputBytes);
    System.out.printf("input: %,d bytes of TSV; planted model's logloss (Bayes floor) %.4f%n%n", inputBytes, bayes);

    // fixed costs kept out of the per-row figures: the embedded store's start, and a warm-up of the JIT, Beam and
    // the store on a small file through both the pipeline and the plain loop
    StoreOptions options = PipelineOptionsFactory.fromArgs(
        "--runner=DirectRunner", "--dataDir=" + work.resolve("store")).as(StoreOptions.class);
    Timer starting = new Timer();
    ObjectStore store = ObjectStore.of(StoreOptions.spec(options));
    store.ensureBucket(BUCKET);
    double storeStart = starting.step("", 0, 0).seconds();
    Timer warming = new Timer();
    Path warmUp = warmUpFile(work);
    Files.createDirectories(warmUp.getParent());
    long warmUpRows = Math.min(rows, 50_000);
    CriteoGenerator.withSeed(7).writeTsv(warmUp, warmUpRows);
    runPipeline(options, warmUp.toString(), Files.size(warmUp), "s3://bench/datasets/warm-up", store);
    runFloor(List.of(warmUp));
    System.out.printf("fixed costs: embedded store start %.2f s, warm-up (%,d rows through both) %.2f s%n%n",
        storeStart, warmUpRows, warming.step("", 0, 0).seconds());

    Step[] pipeline = runPipeline(options, work.resolve("input") + "/" + INPUT_FILES, inputBytes,
        "s3://bench/datasets/criteo", store);
    List<TopologyRuns> lambdaRuns = new ArrayList<>();
    for (Topology topology : topologies) {
      lambdaRuns.add(switch (topology) {
        case LOOPBACK -> runOnLoopback(work, store, inputs, rows, inputBytes);
        case CLOUD -> runInCloud(work, inputs, rows, inputBytes);
      });
    }
    Step pipelineLoad = pipeline[0];
    Step pipelineNormalize = pipeline[1];
    Step[] floor = runFloor(inputs);
    Step floorLoad = floor[0];
    long partitionBytes = pipelineNormalize.bytes();
    Step floorNormalize = floor[1].withBytes(partitionBytes);
    Step pipelineTotal = pipelineLoad.plus("DirectRunner: load + normalize", pipelineNormalize, inputBytes);
    Step floorTotal = floorLoad.plus("plain loop: load + normalize", floorNormalize, inputBytes);

    List<TableRow> table = new ArrayList<>(List.of(new TableRow(generate, null),
        new TableRow(pipelineLoad, floorLoad), new TableRow(floorLoad, null),
        new TableRow(pipelineNormalize, floorNormalize), new TableRow(floorNormalize, null),
        new TableRow(pipelineTotal, floorTotal)));
    for (TopologyRuns topology : lambdaRuns) {
      table.add(new TableRow(topology.upload(), null));
      for (LambdaRun run : topology.runs()) {
        table.add(new TableRow(run.steps()[0], floorLoad));
        table.add(new TableRow(run.steps()[1], floorNormalize));
        table.add(new TableRow(run.total(inputBytes), floorTotal));
      }
    }
    table.add(new TableRow(floorTotal, null));
    printSteps(table);

    System.out.println();
    for (TopologyRuns topology : lambdaRuns) {
      LambdaRun atDefaults = topology.atDefaults();
      System.out.printf("%s over DirectRunner, wall: load %.2fx, normalize %.2fx, both %.2fx; CPU of all"
              + " processes: load %.2fx, normalize %.2fx, both %.2fx%n", atDefaults.runner(),
          atDefaults.steps()[0].seconds() / pipelineLoad.seconds(),
          atDefaults.steps()[1].seconds() / pipelineNormalize.seconds(),
          atDefaults.total(inputBytes).seconds() / pipelineTotal.seconds(),
          atDefaults.steps()[0].cpuSeconds() / pipelineLoad.cpuSeconds(),
          atDefaults.steps()[1].cpuSeconds() / pipelineNormalize.cpuSeconds(),
          atDefaults.total(inputBytes).cpuSeconds() / pipelineTotal.cpuSeconds());
      System.out.printf("%s over the plain loop, wall: both %.2fx (goals: at most the DirectRunner's wall time and"
              + " 3x the plain loop's, CPU of all processes at most 1.5x the DirectRunner's)%n", atDefaults.runner(),
          atDefaults.total(inputBytes).seconds() / floorTotal.seconds());
      for (LambdaRun variant : topology.runs().subList(1, topology.runs().size())) {
        System.out.printf("%s over %s at its defaults (%d at once, C1 only), wall: load %.2fx, normalize %.2fx,"
            + " both %.2fx; CPU of all processes: both %.2fx%n", variant.runner(), atDefaults.runner(),
            atDefaults.concurrency(),
            variant.steps()[0].seconds() / atDefaults.steps()[0].seconds(),
            variant.steps()[1].seconds() / atDefaults.steps()[1].seconds(),
            variant.total(inputBytes).seconds() / atDefaults.total(inputBytes).seconds(),
            variant.total(inputBytes).cpuSeconds() / atDefaults.total(inputBytes).cpuSeconds());
      }
    }
    if (lambdaRuns.size() == 2) {
      printCloudOverLoopback(runsOn(lambdaRuns, Topology.LOOPBACK), runsOn(lambdaRuns, Topology.CLOUD), inputBytes);
    }
    printBreakdown(lambdaRuns);
    System.out.printf("%nrows/s and MB/s per wall second. MB: TSV text generated, uploaded and loaded; the loaded"
        + " dataset's compressed partitions%n(%,d bytes) for normalizing, which the plain loop holds in memory instead."
        + "%nCPU s: every process of the run, this JVM (the driver, and on loopback the embedded store serving the"
        + " workers) and%nall it started: Lambda environments, the cloud's store and Lambda nodes."
        + "%nratios: the pipeline's time over the plain loop's for the same step. Load average at the end %.1f.%n",
        partitionBytes, Machine.loadAverage());
  }

  private static void printSteps(List<TableRow> table) {
    int nameWidth = table.stream().mapToInt(row -> row.step().name().length()).max().orElseThrow();
    System.out.printf("| %-" + nameWidth + "s |       rows |  wall s |   CPU s |      rows/s |      MB |    MB/s |"
        + " wall ratio | CPU ratio |%n", "step");
    System.out.println("|" + "-".repeat(nameWidth + 2) + "|-----------:|--------:|--------:|------------:|--------:|"
        + "--------:|-----------:|----------:|");
    table.forEach(row -> System.out.println(row.step().row(row.floor(), nameWidth)));
  }

  /** Each step of LambdaRunner at its defaults, the cloud's against loopback's. */
  private static void printCloudOverLoopback(TopologyRuns loopback, TopologyRuns cloud, long inputBytes) {
    LambdaRun onLoopback = loopback.atDefaults();
    LambdaRun inCloud = cloud.atDefaults();
    System.out.printf("%nCloud over loopback, LambdaRunner at its defaults (%d at once) on the same uploaded input;"
        + " store I/O as the tasks report it:%n", inCloud.concurrency());
    System.out.println("| step | loopback wall s | cloud wall s | wall cloud/loopback | loopback CPU s | cloud CPU s |"
        + " loopback store I/O s | cloud store I/O s | store I/O cloud/loopback |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    printCloudOverLoopback("upload", loopback.upload(), cloud.upload(), null, null);
    for (int i = 0; i < 2; i++) {
      printCloudOverLoopback(i == 0 ? "load" : "normalize", onLoopback.steps()[i], inCloud.steps()[i],
          onLoopback.breakdown()[i], inCloud.breakdown()[i]);
    }
    System.out.printf("| load + normalize | %.2f | %.2f | %.2fx | %.2f | %.2f | %.2f | %.2f | %.2fx |%n",
        onLoopback.total(inputBytes).seconds(), inCloud.total(inputBytes).seconds(),
        inCloud.total(inputBytes).seconds() / onLoopback.total(inputBytes).seconds(),
        onLoopback.total(inputBytes).cpuSeconds(), inCloud.total(inputBytes).cpuSeconds(),
        onLoopback.storeSeconds(), inCloud.storeSeconds(), inCloud.storeSeconds() / onLoopback.storeSeconds());
  }

  /** One row of the cloud-over-loopback table; no store I/O columns for a step the tasks did not run (null). */
  private static void printCloudOverLoopback(String step, Step loopback, Step cloud, LambdaStep loopbackTasks,
      LambdaStep cloudTasks) {
    String storeIo = loopbackTasks == null ? "- | - | -" : String.format("%.2f | %.2f | %.2fx",
        loopbackTasks.storeSeconds(), cloudTasks.storeSeconds(),
        cloudTasks.storeSeconds() / loopbackTasks.storeSeconds());
    System.out.printf("| %s | %.2f | %.2f | %.2fx | %.2f | %.2f | %s |%n", step, loopback.seconds(), cloud.seconds(),
        cloud.seconds() / loopback.seconds(), loopback.cpuSeconds(), cloud.cpuSeconds(), storeIo);
  }

  private static void printBreakdown(List<TopologyRuns> lambdaRuns) {
    System.out.println("\nWhere LambdaRunner's time went (tasks: the runner's stage reports, summed over the step's"
        + " stages; n/a: counted by the Lambda service,\nwhich in the cloud runs in the Lambda node's process, not"
        + " this one):");
    System.out.println("| run | step | wall s | invocations | cold starts | init s (sum) | in handlers s (sum) |"
        + " tasks in workers s (sum) | of which store I/O s | of which compute s | task s per wall s |"
        + " driver-side s (wall - task s / concurrency) |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (TopologyRuns topology : lambdaRuns) {
      for (LambdaRun run : topology.runs()) {
        for (int i = 0; i < 2; i++) {
          LambdaStep tasks = run.breakdown()[i];
          ServiceCounts service = tasks.service();
          double wall = run.steps()[i].seconds();
          double concurrency = Math.min(Math.min(run.concurrency(), Runtime.getRuntime().availableProcessors()),
              Math.max(1, tasks.widestStage()));
          System.out.printf("| %s | %s | %.2f | %s | %.2f | %.2f | %.2f | %.2f | %.2f |%n", run.runner(),
              i == 0 ? "load" : "normalize", wall,
              service == null ? "n/a | n/a | n/a | n/a" : String.format("%d | %d | %.2f | %.2f",
                  service.invocations(), service.coldStarts(), service.initSeconds(), service.handlerSeconds()),
              tasks.workerSeconds(), tasks.storeSeconds(), tasks.computeSeconds(), tasks.workerSeconds() / wall,
              Math.max(0, wall - tasks.workerSeconds() / concurrency));
        }
      }
    }
  }

  /** What the local Lambda service counted during one step. */
  private record ServiceCounts(long invocations, long coldStarts, double initSeconds, double handlerSeconds) {
    static ServiceCounts between(FunctionStats before, FunctionStats after) {
      return new ServiceCounts(after.invocations() - before.invocations(), after.coldStarts() - before.coldStarts(),
          after.totalInitTime().minus(before.totalInitTime()).toNanos() / 1e9,
          after.totalDuration().minus(before.totalDuration()).toNanos() / 1e9);
    }
  }

  /**
   * What one step's tasks reported (the runner's stage reports): the most tasks a stage ran, their time in workers
   * and its store I/O and compute; and what the Lambda service counted meanwhile, or null where it runs in another
   * process.
   */
  private record LambdaStep(
      ServiceCounts service, int widestStage, double workerSeconds, double storeSeconds, double computeSeconds) {
    static LambdaStep of(ServiceCounts service, List<StageReport> stages) {
      return new LambdaStep(service, stages.stream().mapToInt(StageReport::tasks).max().orElse(0),
          stages.stream().mapToLong(StageReport::workerMillis).sum() / 1e3,
          stages.stream().mapToLong(StageReport::storeMillis).sum() / 1e3,
          stages.stream().mapToLong(StageReport::computeMillis).sum() / 1e3);
    }
  }

  private record LambdaRun(String runner, int concurrency, Step[] steps, LambdaStep[] breakdown) {
    Step total(long inputBytes) {
      return steps[0].plus(runner + ": load + normalize", steps[1], inputBytes);
    }

    double storeSeconds() {
      return breakdown[0].storeSeconds() + breakdown[1].storeSeconds();
    }
  }

  /** A topology's upload of the input to its store, then its LambdaRunner runs, the first at LambdaRunner's defaults. */
  private record TopologyRuns(Topology topology, Step upload, List<LambdaRun> runs) {
    LambdaRun atDefaults() {
      return runs.get(0);
    }
  }

  private static TopologyRuns runsOn(List<TopologyRuns> lambdaRuns, Topology topology) {
    return lambdaRuns.stream().filter(runs -> runs.topology() == topology).findFirst().orElseThrow();
  }

  /**
   * Uploads the input into the embedded store, then runs LambdaRunner against a local Lambda service of its own for
   * each variant: at its defaults, uploads hashed, writes one at a time, eight attempts at once, the full JIT.
   */
  private static TopologyRuns runOnLoopback(Path work, ObjectStore store, List<Path> inputs, long rows,
      long inputBytes) throws IOException {
    Step upload = upload(store, inputs, rows, inputBytes, Topology.LOOPBACK);
    String runner = Topology.LOOPBACK.label() + " LambdaRunner";
    LambdaRun atDefaults = runOnLocalService(work, store, inputBytes, Map.of(), List.of(), runner);
    // the environments' store clients signing every upload's bytes, as the SDK does over plain HTTP
    LambdaRun hashed = runOnLocalService(work, store, inputBytes,
        Map.of("JAVA_TOOL_OPTIONS", "-Dstratus.store.signLoopbackPayloads=true"), List.of(),
        runner + ", uploads hashed");
    // the tasks' writes one at a time, as before they went out several at once
    LambdaRun writesInTurn = runOnLocalService(work, store, inputBytes,
        Map.of("JAVA_TOOL_OPTIONS", "-Dstratus.worker.parallelWrites=1"), List.of(), runner + ", writes one at a time");
    // the previous default: eight attempts at once whatever the cores (more environments, more cold starts)
    LambdaRun eightAtOnce = runOnLocalService(work, store, inputBytes, Map.of(), List.of("--maxConcurrency=8"),
        runner + ", 8 at once");
    // the function's JAVA_TOOL_OPTIONS asking for the full JIT (Lambda's Java 17 runtime stops at C1)
    LambdaRun fullJit = runOnLocalService(work, store, inputBytes,
        Map.of("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=4"), List.of(), runner + ", full JIT");
    return new TopologyRuns(Topology.LOOPBACK, upload, List.of(atDefaults, hashed, writesInTurn, eightAtOnce, fullJit));
  }

  /**
   * Makes the cloud topology over a store directory of its own, uploads the input through the store node, and runs
   * LambdaRunner at its defaults against it.
   */
  private static TopologyRuns runInCloud(Path work, List<Path> inputs, long rows, long inputBytes)
      throws IOException {
    Timer starting = new Timer();
    try (CloudRun cloud = CloudRun.start(Files.createDirectories(work.resolve("cloud-store")),
        Map.of(FUNCTION, WorkerFunction.HANDLER), FUNCTION_MEMORY_MB, FUNCTION_TIMEOUT_SECONDS, 0)) {
      ObjectStore store = ObjectStore.of(cloud.store().spec());
      store.ensureBucket(BUCKET);
      System.out.printf("fixed cost: cloud topology start %.2f s%n%n", starting.step("", 0, 0).seconds());
      Step upload = upload(store, inputs, rows, inputBytes, Topology.CLOUD);
      LambdaRunnerOptions options = lambdaRunnerOptions(cloud.runnerArguments());
      cloud.configure(options);
      LambdaRun atDefaults = runOnLambda(options, store, inputBytes, null, Topology.CLOUD.label() + " LambdaRunner");
      // the tasks' writes one at a time, each of the store's round trips behind S3's delays
      try (LambdaClient lambda = cloud.lambdaClient()) {
        lambda.updateFunctionConfiguration(update -> update.functionName(FUNCTION).environment(
            environment -> environment.variables(Map.of("JAVA_TOOL_OPTIONS", "-Dstratus.worker.parallelWrites=1"))));
      }
      LambdaRun writesInTurn = runOnLambda(options, store, inputBytes, null,
          Topology.CLOUD.label() + " LambdaRunner, writes one at a time");
      return new TopologyRuns(Topology.CLOUD, upload, List.of(atDefaults, writesInTurn));
    }
  }

  /** Puts each input file into {@code store} under {@link #UPLOADED_INPUT} with one PUT, as a user's upload would. */
  private static Step upload(ObjectStore store, List<Path> inputs, long rows, long inputBytes, Topology topology) {
    Timer uploading = new Timer();
    for (Path file : inputs) {
      store.put(S3Path.parse(UPLOADED_INPUT + file.getFileName()), file);
    }
    return uploading.step(topology.label() + ": upload TSV to the store", rows, inputBytes);
  }

  /**
   * LambdaRunner against a local Lambda service in this JVM, started for this run alone, the function given
   * {@code environment} (process environments, none warm at the start: the cold starts are part of the cost).
   *
   * <p>A service of its own runs the warm-up file first, uncounted: as it stops its environments they record the
   * class-data archive of the function's JVM options, which the measured run's cold environments map, as in every run
   * of a user's after the first (the cold-start benchmark measures what the archive saves). Before, the first variant
   * of each run after a change of code recorded it while it was measured, and the others did not.
   */
  private static LambdaRun runOnLocalService(Path work, ObjectStore store, long inputBytes,
      Map<String, String> environment, List<String> extraArgs, String runner) throws IOException {
    Path warmUp = warmUpFile(work);
    try (LocalLambdaService recording = LocalLambdaService.start()) {
      runPipeline(onLocalService(recording, work, environment, extraArgs), warmUp.toString(), Files.size(warmUp),
          "s3://bench/datasets/warm-up-lambda", store);
    }
    try (LocalLambdaService lambda = LocalLambdaService.start()) {
      return runOnLambda(onLocalService(lambda, work, environment, extraArgs), store, inputBytes,
          () -> lambda.stats(FUNCTION), runner);
    }
  }

  /** LambdaRunner's options for {@code lambda}, where the worker function is registered with {@code environment}. */
  private static LambdaRunnerOptions onLocalService(LocalLambdaService lambda, Path work,
      Map<String, String> environment, List<String> extraArgs) {
    lambda.registerFunction(FunctionSpec.of(FUNCTION, WorkerFunction.HANDLER, ClassPath.currentEntries())
        .withEnvironment(environment)
        .withMemoryMb(FUNCTION_MEMORY_MB).withTimeoutSeconds(FUNCTION_TIMEOUT_SECONDS));
    List<String> args = new ArrayList<>(List.of("--runner=LambdaRunner", "--dataDir=" + work.resolve("store"),
        "--lambdaEndpoint=" + lambda.endpoint()));
    args.addAll(extraArgs);
    LambdaRunnerOptions options = lambdaRunnerOptions(args);
    options.setLambdaCredentials(lambda.credentialsProvider());
    return options;
  }

  /** {@code args} and the function every run invokes. */
  private static LambdaRunnerOptions lambdaRunnerOptions(List<String> args) {
    List<String> all = new ArrayList<>(args);
    all.addAll(List.of("--functionName=" + FUNCTION, "--workerMemoryMb=" + FUNCTION_MEMORY_MB));
    return PipelineOptionsFactory.fromArgs(all.toArray(String[]::new)).as(LambdaRunnerOptions.class);
  }

  /**
   * The two pipelines on LambdaRunner over the uploaded input, with the stage reports of each, and the Lambda
   * service's counters around each where {@code serviceStats} reads them (null: the service is in another process).
   */
  private static LambdaRun runOnLambda(LambdaRunnerOptions options, ObjectStore store, long inputBytes,
      Supplier<FunctionStats> serviceStats, String runner) throws IOException {
    List<FunctionStats> marks = new ArrayList<>();
    List<List<StageReport>> reports = new ArrayList<>();
    if (serviceStats != null) {
      marks.add(serviceStats.get());
    }
    String location = "s3://bench/datasets/" + runner.replaceAll("[^A-Za-z0-9]+", "-");
    Step[] steps = runPipeline(options, UPLOADED_INPUT + INPUT_FILES, inputBytes, location, store, result -> {
      if (serviceStats != null) {
        marks.add(serviceStats.get());
      }
      reports.add(((LambdaPipelineResult) result).stages());
    }, runner);
    LambdaStep[] breakdown = new LambdaStep[2];
    for (int i = 0; i < 2; i++) {
      breakdown[i] = LambdaStep.of(serviceStats == null ? null : ServiceCounts.between(marks.get(i), marks.get(i + 1)),
          reports.get(i));
    }
    return new LambdaRun(runner, options.getMaxConcurrency(), steps, breakdown);
  }

  private static Step[] runPipeline(StoreOptions options, String input, long inputBytes, String location,
      ObjectStore store) {
    return runPipeline(options, input, inputBytes, location, store, result -> {}, "DirectRunner");
  }

  /**
   * LoadCriteo of {@code input} ({@code inputBytes} of TSV), then Normalize.minMax over the loaded dataset, as two
   * pipelines so each step is timed alone; {@code store} is where the runner writes the dataset.
   */
  private static Step[] runPipeline(StoreOptions options, String input, long inputBytes, String location,
      ObjectStore store, Consumer<PipelineResult> afterEachStep, String runner) {
    Pipeline load = Pipeline.create(options);
    load.apply(LoadCriteo.from(input).modelBits(MODEL_BITS).to(location));
    Timer loading = new Timer();
    PipelineResult loadResult = load.run();
    finish(loadResult, "load");
    Step loadStep = loading.step(runner + ": LoadCriteo", 0, inputBytes);
    afterEachStep.accept(loadResult);

    Dataset loaded = Dataset.open(store, S3Path.parse(location));
    long partitionBytes = loaded.manifest().partitions().stream().mapToLong(PartitionInfo::bytes).sum();
    Pipeline normalize = Pipeline.create(options);
    normalize.apply(Create.of(loaded).withCoder(DatasetCoder.of())).apply(Normalize.minMax());
    Timer normalizing = new Timer();
    PipelineResult normalized = normalize.run();
    finish(normalized, "normalize");
    afterEachStep.accept(normalized);
    return new Step[] {
      new Step(loadStep.name(), loaded.rowCount(), loadStep.seconds(), loadStep.cpuSeconds(), inputBytes),
      normalizing.step(runner + ": Normalize.minMax, 2 passes", loaded.rowCount(), partitionBytes)
    };
  }

  /** The same parse-hash, statistics and scaling in one thread, the rows held in memory. */
  private static Step[] runFloor(List<Path> inputs) throws IOException {
    long inputBytes = 0;
    Timer loading = new Timer();
    List<SparseRow> parsed = new ArrayList<>();
    for (Path file : inputs) {
      RowParser parser = new CriteoFormat(MODEL_BITS, true).newParser();
      try (InputStream in = Files.newInputStream(file)) {
        inputBytes += TextLoader.load(file.toString(), in, parser, false, parsed::add).bytes();
      }
    }
    Step loadStep = loading.step("plain loop: parse + hash", parsed.size(), inputBytes);
    Timer normalizing = new Timer();
    FeatureStatistics.Builder statistics = FeatureStatistics.builder();
    parsed.forEach(statistics::add);
    FeatureScaler scaler = new FeatureScaler(statistics.build(), ScalingMethod.MIN_MAX_SCALING);
    long values = 0;
    for (SparseRow row : parsed) {
      values += scaler.scale(row).size(); // used, so the JIT cannot drop the scaling
    }
    if (values < 0) {
      throw new IllegalStateException();
    }
    return new Step[] {loadStep, normalizing.step("plain loop: statistics + scale", parsed.size(), 0)};
  }

  private static void finish(PipelineResult result, String step) {
    PipelineResult.State state = result.waitUntilFinish(STEP_LIMIT);
    if (state != PipelineResult.State.DONE) {
      try {
        result.cancel();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      throw new IllegalStateException("the " + step + " step did not finish within " + STEP_LIMIT + " (" + state + ")");
    }
  }
}
