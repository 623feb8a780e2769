package dev.stratus.benchmarks.preprocess;

import dev.stratus.dsl.LoadCriteo;
import dev.stratus.dsl.Normalize;
import dev.stratus.dsl.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.transforms.data.SparseRow;
import dev.stratus.transforms.dataset.Dataset;
import dev.stratus.transforms.dataset.DatasetCoder;
import dev.stratus.transforms.dataset.FeatureStatistics;
import dev.stratus.transforms.dataset.PartitionInfo;
import dev.stratus.transforms.dataset.ScalingMethod;
import dev.stratus.transforms.generate.CriteoGenerator;
import dev.stratus.transforms.preprocess.FeatureScaler;
import dev.stratus.transforms.text.CriteoFormat;
import dev.stratus.transforms.text.RowParser;
import dev.stratus.transforms.text.TextLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.joda.time.Duration;

/**
 * Load + normalize of generated Criteo rows on the DirectRunner, step by step, beside a plain single-threaded Java
 * loop doing the same parse-hash-scale over the same files in memory: the cost floor, so the ratio is what the
 * pipeline (Beam, the object store, the partition codec) adds.
 *
 * <pre>mvn -q -o -pl benchmarks compile exec:java@load-normalize [-Dexec.args="--rows 1000000 --files 4"]</pre>
 */
public final class LoadNormalizeBenchmark {
  private static final int MODEL_BITS = 20;
  private static final Duration STEP_LIMIT = Duration.standardMinutes(5);

  private LoadNormalizeBenchmark() {}

  private record Step(String name, long rows, double seconds, long bytesIn) {
    String row(double floorSeconds) {
      return String.format("| %-36s | %,10d | %8.2f | %,11.0f | %9.1f | %7.1f | %s |", name, rows, seconds,
          rows / seconds, bytesIn / 1e6, bytesIn / 1e6 / seconds,
          floorSeconds > 0 ? String.format("%5.1fx", seconds / floorSeconds) : "     ");
    }
  }

  public static void main(String[] args) throws IOException {
    long rows = 1_000_000;
    int files = 4;
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
    System.out.printf("Load + normalize of %,d generated Criteo rows in %d files, modelBits %d, %d cores, Java %s%n",
        rows, files, MODEL_BITS, Runtime.getRuntime().availableProcessors(), Runtime.version());

    // the input: one generator seed per file, so the files can be loaded in parallel
    long started = System.nanoTime();
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
    Step generate = new Step("generate (CriteoGenerator)", rows, seconds(started), inputBytes);
    System.out.printf("input: %,d bytes of TSV; planted model's logloss (Bayes floor) %.4f%n%n", inputBytes, bayes);

    // fixed costs kept out of the per-row figures: the embedded store's start, and a warm-up of the JIT, Beam and
    // the store on a small file through both the pipeline and the plain loop
    StoreOptions options = PipelineOptionsFactory.fromArgs(
        "--runner=DirectRunner", "--dataDir=" + work.resolve("store")).as(StoreOptions.class);
    started = System.nanoTime();
    ObjectStore store = ObjectStore.of(StoreOptions.spec(options));
    store.ensureBucket("bench");
    double storeStart = seconds(started);
    started = System.nanoTime();
    Path warmUp = work.resolve("warm-up").resolve("warm-up.tsv");
    Files.createDirectories(warmUp.getParent());
    CriteoGenerator.withSeed(7).writeTsv(warmUp, Math.min(rows, 50_000));
    runPipeline(options, warmUp.toString(), "s3://bench/datasets/warm-up", store);
    runFloor(List.of(warmUp));
    System.out.printf("fixed costs: embedded store start %.2f s, warm-up (%,d rows through both) %.2f s%n%n",
        storeStart, Math.min(rows, 50_000), seconds(started));

    Step[] pipeline = runPipeline(options, work.resolve("input") + "/day_*.tsv", "s3://bench/datasets/criteo", store);
    Step pipelineLoad = pipeline[0];
    Step pipelineNormalize = pipeline[1];
    Step[] floor = runFloor(inputs);
    Step floorLoad = floor[0];
    long partitionBytes = pipelineNormalize.bytesIn();
    Step floorNormalize = new Step(floor[1].name(), floor[1].rows(), floor[1].seconds(), partitionBytes);
    Step pipelineTotal = new Step("pipeline: load + normalize", rows,
        pipelineLoad.seconds() + pipelineNormalize.seconds(), inputBytes);
    Step floorTotal = new Step("plain loop: load + normalize", rows,
        floorLoad.seconds() + floorNormalize.seconds(), inputBytes);
    System.out.println("| step                                 |       rows |   time s |      rows/s |        MB |    MB/s | ratio |");
    System.out.println("|--------------------------------------|-----------:|---------:|------------:|----------:|--------:|------:|");
    System.out.println(generate.row(0));
    System.out.println(pipelineLoad.row(floorLoad.seconds()));
    System.out.println(floorLoad.row(0));
    System.out.println(pipelineNormalize.row(floorNormalize.seconds()));
    System.out.println(floorNormalize.row(0));
    System.out.println(pipelineTotal.row(floorTotal.seconds()));
    System.out.println(floorTotal.row(0));
    System.out.printf("%nMB: TSV text generated and loaded; the loaded dataset's compressed partitions (%,d bytes) for"
        + " normalizing, which the plain loop holds in memory instead.%nratio: pipeline time over the plain loop's for"
        + " the same step.%n", partitionBytes);
  }

  /** LoadCriteo, then Normalize.minMax over the loaded dataset, as two pipelines so each step is timed alone. */
  private static Step[] runPipeline(StoreOptions options, String input, String location, ObjectStore store)
      throws IOException {
    long inputBytes = 0;
    try (Stream<Path> files = Files.list(Path.of(input).getParent())) {
      for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".tsv")).toList()) {
        inputBytes += Files.size(f);
      }
    }
    Pipeline load = Pipeline.create(options);
    load.apply(LoadCriteo.from(input).modelBits(MODEL_BITS).to(location));
    long started = System.nanoTime();
    finish(load.run(), "load");
    double loadSeconds = seconds(started);

    Dataset loaded = Dataset.open(store, S3Path.parse(location));
    long partitionBytes = loaded.manifest().partitions().stream().mapToLong(PartitionInfo::bytes).sum();
    Pipeline normalize = Pipeline.create(options);
    normalize.apply(Create.of(loaded).withCoder(DatasetCoder.of())).apply(Normalize.minMax());
    started = System.nanoTime();
    finish(normalize.run(), "normalize");
    return new Step[] {
      new Step("pipeline: LoadCriteo", loaded.rowCount(), loadSeconds, inputBytes),
      new Step("pipeline: Normalize.minMax, 2 passes", loaded.rowCount(), seconds(started), partitionBytes)
    };
  }

  /** The same parse-hash, statistics and scaling in one thread, the rows held in memory. */
  private static Step[] runFloor(List<Path> inputs) throws IOException {
    long inputBytes = 0;
    long started = System.nanoTime();
    List<SparseRow> parsed = new ArrayList<>();
    for (Path file : inputs) {
      RowParser parser = new CriteoFormat(MODEL_BITS, true).newParser();
      try (InputStream in = Files.newInputStream(file)) {
        inputBytes += TextLoader.load(file.toString(), in, parser, false, parsed::add).bytes();
      }
    }
    double loadSeconds = seconds(started);
    started = System.nanoTime();
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
    return new Step[] {
      new Step("plain loop: parse + hash", parsed.size(), loadSeconds, inputBytes),
      new Step("plain loop: statistics + scale", parsed.size(), seconds(started), 0) // bytes: the caller's
    };
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

  private static double seconds(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1e9;
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
