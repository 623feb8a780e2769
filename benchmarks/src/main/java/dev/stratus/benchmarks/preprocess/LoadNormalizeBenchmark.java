package dev.stratus.benchmarks.preprocess;

import com.sun.management.OperatingSystemMXBean;
import dev.stratus.benchmarks.Machine;
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
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.joda.time.Duration;

/**
 * Load + normalize of generated Criteo rows on the DirectRunner and on LambdaRunner (the local Lambda service, process
 * environments, cold starts included), step by step, beside a plain single-threaded Java loop doing the same
 * parse-hash-scale over the same files in memory: the cost floor, so the ratio is what the pipeline (Beam, the object
 * store, the partition codec, and on LambdaRunner the invocations) adds. LambdaRunner's time is split into cold
 * starts, time in handlers (split into store I/O, as the tasks report it, and compute) and the driver's
 * share (planning, invoking, waiting, committing). LambdaRunner runs three times: at its defaults (as many attempts at
 * once as this machine has cores, Lambda's Java 17 default of a JIT that stops at C1), with the previous default of
 * eight attempts at once, and with the function's JAVA_TOOL_OPTIONS asking for the full JIT.
 *
 * <pre>mvn -q -o -pl benchmarks compile exec:java@load-normalize [-Dexec.args="--rows 1000000 --files 1"]</pre>
 */
public final class LoadNormalizeBenchmark {
  private static final int MODEL_BITS = 20;
  private static final String FUNCTION = "stratus-worker";
  private static final Duration STEP_LIMIT = Duration.standardMinutes(5);

  private LoadNormalizeBenchmark() {}

  private static final OperatingSystemMXBean OS =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  /**
   * One measured step: wall time, and CPU time of the whole process (all threads, the embedded store's included),
   * which the other builds sharing this machine disturb less than wall time.
   */
  private record Step(String name, long rows, double seconds, double cpuSeconds, long bytes) {
    String row(Step floor) {
      return String.format("| %-36s | %,10d | %7.2f | %7.2f | %,11.0f | %7.1f | %7.1f | %s | %s |", name, rows, seconds,
          cpuSeconds, rows / seconds, bytes / 1e6, bytes / 1e6 / seconds,
          floor == null ? "     " : String.format("%4.1fx", seconds / floor.seconds),
          floor == null ? "     " : String.format("%4.1fx", cpuSeconds / floor.cpuSeconds));
    }

    Step plus(String total, Step other, long totalBytes) {
      return new Step(total, rows, seconds + other.seconds, cpuSeconds + other.cpuSeconds, totalBytes);
    }

    Step withBytes(long newBytes) {
      return new Step(name, rows, seconds, cpuSeconds, newBytes);
    }
  }

  /** Wall and process CPU time since it was made. */
  private static final class Timer {
    private final long wall = System.nanoTime();
    private final long cpu = OS.getProcessCpuTime();

    Step step(String name, long rows, long bytes) {
      return new Step(name, rows, (System.nanoTime() - wall) / 1e9, (OS.getProcessCpuTime() - cpu) / 1e9, bytes);
    }
  }

  public static void main(String[] args) throws IOException {
    long rows = 1_000_000;
    int files = 1; // one file like a Criteo day: the loader cuts it into ranges parsed in parallel
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Long.parseLong(args[i + 1].replace("_", ""));
        case "--files" -> files = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (--rows N, --files F)");
      }
    }
    Path work = Files.createTempDirectory("stratus-load-normalize");
    try {
      run(work, rows, files);
    } finally {
      deleteRecursively(work);
    }
    // the embedded store's server threads are not daemons: end the JVM (and exec:java) here
    System.exit(0);
  }

  private static void run(Path work, long rows, int files) throws IOException {
    System.out.printf("Load + normalize of %,d generated Criteo rows in %d files, modelBits %d, %d cores (load average"
        + " %.1f), Java %s%n", rows, files, MODEL_BITS, Runtime.getRuntime().availableProcessors(),
        Machine.loadAverage(), Runtime.version());

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
    store.ensureBucket("bench");
    double storeStart = starting.step("", 0, 0).seconds();
    Timer warming = new Timer();
    Path warmUp = work.resolve("warm-up").resolve("warm-up.tsv");
    Files.createDirectories(warmUp.getParent());
    CriteoGenerator.withSeed(7).writeTsv(warmUp, Math.min(rows, 50_000));
    runPipeline(options, warmUp.toString(), "s3://bench/datasets/warm-up", store);
    runFloor(List.of(warmUp));
    System.out.printf("fixed costs: embedded store start %.2f s, warm-up (%,d rows through both) %.2f s%n%n",
        storeStart, Math.min(rows, 50_000), warming.step("", 0, 0).seconds());

    String input = work.resolve("input") + "/day_*.tsv";
    Step[] pipeline = runPipeline(options, input, "s3://bench/datasets/criteo", store);
    LambdaRun lambda = runOnLambda(work, store, input, Map.of(), List.of(), "LambdaRunner");
    // the previous default: eight attempts at once whatever the cores (more environments, more cold starts)
    LambdaRun lambda8 = runOnLambda(work, store, input, Map.of(), List.of("--maxConcurrency=8"),
        "LambdaRunner, 8 at once");
    // the function's JAVA_TOOL_OPTIONS asking for the full JIT (Lambda's Java 17 runtime stops at C1)
    LambdaRun lambdaC2 = runOnLambda(work, store, input, Map.of("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=4"),
        List.of(), "LambdaRunner, full JIT");
    Step pipelineLoad = pipeline[0];
    Step pipelineNormalize = pipeline[1];
    Step[] floor = runFloor(inputs);
    Step floorLoad = floor[0];
    long partitionBytes = pipelineNormalize.bytes();
    Step floorNormalize = floor[1].withBytes(partitionBytes);
    Step pipelineTotal = pipelineLoad.plus("DirectRunner: load + normalize", pipelineNormalize, inputBytes);
    Step floorTotal = floorLoad.plus("plain loop: load + normalize", floorNormalize, inputBytes);
    System.out.println("| step                                 |       rows |  wall s |   CPU s |"
        + "      rows/s |      MB |    MB/s | wall ratio | CPU ratio |");
    System.out.println("|--------------------------------------|-----------:|--------:|--------:|"
        + "------------:|--------:|--------:|-----------:|----------:|");
    System.out.println(generate.row(null));
    System.out.println(pipelineLoad.row(floorLoad));
    System.out.println(floorLoad.row(null));
    System.out.println(pipelineNormalize.row(floorNormalize));
    System.out.println(floorNormalize.row(null));
    System.out.println(pipelineTotal.row(floorTotal));
    Step lambdaTotal = lambda.total(inputBytes);
    for (LambdaRun run : List.of(lambda, lambda8, lambdaC2)) {
      System.out.println(run.steps[0].row(floorLoad));
      System.out.println(run.steps[1].row(floorNormalize));
      System.out.println(run.total(inputBytes).row(floorTotal));
    }
    System.out.println(floorTotal.row(null));
    System.out.printf("%nLambdaRunner over DirectRunner, wall: load %.2fx, normalize %.2fx, both %.2fx%n",
        lambda.steps[0].seconds() / pipelineLoad.seconds(), lambda.steps[1].seconds() / pipelineNormalize.seconds(),
        lambdaTotal.seconds() / pipelineTotal.seconds());
    for (LambdaRun variant : List.of(lambda8, lambdaC2)) {
      System.out.printf("%s over LambdaRunner at its defaults (%d at once, C1 only), wall: load %.2fx, normalize"
          + " %.2fx, both %.2fx%n", variant.runner, lambda.concurrency, variant.steps[0].seconds() / lambda.steps[0].seconds(),
          variant.steps[1].seconds() / lambda.steps[1].seconds(), variant.total(inputBytes).seconds() / lambdaTotal.seconds());
    }
    System.out.println("\nWhere LambdaRunner's time went (process CPU time above is the driver's alone; environments"
        + " are processes of their own):");
    System.out.println("| run | step | wall s | invocations | cold starts | init s (sum) | in handlers s (sum) |"
        + " of which store I/O s | of which compute s | handler s per wall s | driver-side s (wall - handlers /"
        + " concurrency) |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (LambdaRun run : List.of(lambda, lambda8)) {
      for (int i = 0; i < 2; i++) {
        LambdaStep b = run.breakdown[i];
        Step st = run.steps[i];
        double handlers = b.handlerSeconds();
        double concurrency = Math.min(Math.min(run.concurrency, Runtime.getRuntime().availableProcessors()),
            Math.max(1, b.invocations()));
        System.out.printf("| %s | %s | %.2f | %d | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |%n", run.runner,
            i == 0 ? "load" : "normalize", st.seconds(), b.invocations(), b.coldStarts(), b.initSeconds(), handlers,
            b.storeSeconds(), Math.max(0, handlers - b.storeSeconds()), handlers / st.seconds(),
            Math.max(0, st.seconds() - handlers / concurrency));
      }
    }
    System.out.printf("%nrows/s and MB/s per wall second. MB: TSV text generated and loaded; the loaded dataset's"
        + " compressed partitions%n(%,d bytes) for normalizing, which the plain loop holds in memory instead."
        + "%nratios: the pipeline's time over the plain loop's for the same step. Load average at the end %.1f.%n",
        partitionBytes, Machine.loadAverage());
  }

  /**
   * What the local Lambda service counted during one step, and the store I/O its tasks reported (the runner's stage
   * reports).
   */
  private record LambdaStep(
      long invocations, long coldStarts, double initSeconds, double handlerSeconds, double storeSeconds) {
    static LambdaStep between(FunctionStats before, FunctionStats after, List<StageReport> stages) {
      return new LambdaStep(after.invocations() - before.invocations(), after.coldStarts() - before.coldStarts(),
          after.totalInitTime().minus(before.totalInitTime()).toNanos() / 1e9,
          after.totalDuration().minus(before.totalDuration()).toNanos() / 1e9,
          stages.stream().mapToLong(StageReport::storeMillis).sum() / 1e3);
    }
  }

  private record LambdaRun(String runner, int concurrency, Step[] steps, LambdaStep[] breakdown) {
    Step total(long inputBytes) {
      return steps[0].plus(runner + ": load + normalize", steps[1], inputBytes);
    }
  }

  /**
   * The same two pipelines on LambdaRunner against a local Lambda service of its own, the function given {@code environment} (process environments, none warm
   * at the start: the cold starts are part of the cost), whose counters tell the breakdown.
   */
  private static LambdaRun runOnLambda(Path work, ObjectStore store, String input, Map<String, String> environment,
      List<String> extraArgs, String runner) throws IOException {
    try (LocalLambdaService lambda = LocalLambdaService.start()) {
      List<Path> classpath = ClassPath.currentEntries();
      lambda.registerFunction(FunctionSpec.of(FUNCTION, WorkerFunction.HANDLER, classpath)
          .withEnvironment(environment)
          .withMemoryMb(1024).withTimeoutSeconds(300));
      List<String> args = new ArrayList<>(List.of("--runner=LambdaRunner", "--dataDir=" + work.resolve("store"),
          "--lambdaEndpoint=" + lambda.endpoint(), "--functionName=" + FUNCTION, "--workerMemoryMb=1024"));
      args.addAll(extraArgs);
      LambdaRunnerOptions options =
          PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).as(LambdaRunnerOptions.class);
      options.setLambdaCredentials(lambda.credentialsProvider());
      List<FunctionStats> marks = new ArrayList<>(List.of(lambda.stats(FUNCTION)));
      List<List<StageReport>> reports = new ArrayList<>();
      String location = "s3://bench/datasets/" + runner.replaceAll("[^A-Za-z0-9]+", "-");
      Step[] steps = runPipeline(options, input, location, store, result -> {
        marks.add(lambda.stats(FUNCTION));
        reports.add(((LambdaPipelineResult) result).stages());
      }, runner);
      return new LambdaRun(runner, options.getMaxConcurrency(), steps, new LambdaStep[] {
        LambdaStep.between(marks.get(0), marks.get(1), reports.get(0)),
        LambdaStep.between(marks.get(1), marks.get(2), reports.get(1))});
    }
  }

  private static Step[] runPipeline(StoreOptions options, String input, String location, ObjectStore store)
      throws IOException {
    return runPipeline(options, input, location, store, result -> {}, "DirectRunner");
  }

  /** LoadCriteo, then Normalize.minMax over the loaded dataset, as two pipelines so each step is timed alone. */
  private static Step[] runPipeline(StoreOptions options, String input, String location, ObjectStore store,
      Consumer<PipelineResult> afterEachStep, String runner) throws IOException {
    long inputBytes = 0;
    try (Stream<Path> files = Files.list(Path.of(input).getParent())) {
      for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".tsv")).toList()) {
        inputBytes += Files.size(f);
      }
    }
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

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
