package dev.stratus.benchmarks.longrows;

import dev.stratus.benchmarks.Machine;
import dev.stratus.benchmarks.training.BenchmarkData;
import dev.stratus.jvm.ChildJvm;
import dev.stratus.jvm.ChildProcess;
import dev.stratus.jvm.ClassPath;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.dataset.DatasetWriter;
import dev.stratus.kernels.generate.BagOfWordsGenerator;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Asynchronous SGD on long rows: generated bag-of-words documents (a few hundred distinct words a row, Zipf-distributed
 * over a vocabulary of 2^20), trained by 1 and 2 worker threads against an in-process shard with minibatches of 20
 * for a fixed time; updates/s and the median time of each iteration step.
 *
 * <p>Given another build's kernels and jobs classes ({@code --baseline}, say the previous commit's
 * {@code kernels/target/classes:jobs/target/classes}), each training runs twice per round, once per build, each in a
 * JVM of its own with that build's classes first on the class path and the same dependencies after them; the order
 * alternates from round to round, and each figure is reported as ours over the baseline's, the median of the rounds.
 *
 * <pre>mvn -q -pl benchmarks exec:java@long-rows -Dexec.args="[--rows N] [--seconds S] [--rounds R] [--baseline CP]"</pre>
 */
public final class LongRowsBenchmark {
  static final int VOCABULARY = 1 << 20;
  static final int TOKENS_PER_DOCUMENT = 400;
  static final double ZIPF_EXPONENT = 1.1;
  private static final long SEED = 1;
  private static final int ROWS_PER_PARTITION = 10_000;
  private static final int[] WORKERS = {1, 2};
  private static final String OURS = "ours";
  private static final String BASELINE = "baseline";

  private LongRowsBenchmark() {}

  /** One training's figures, as {@link LongRowsTraining} prints them. */
  record Run(double updatesPerSecond, double loss, double auc, long updates, double getModel, double getMinibatch,
      double computeGradient, double sendGradient) {
    static Run parse(String line) {
      String[] f = line.trim().split(" ");
      return new Run(Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
          Long.parseLong(f[3]), Double.parseDouble(f[4]), Double.parseDouble(f[5]), Double.parseDouble(f[6]),
          Double.parseDouble(f[7]));
    }
  }

  public static void main(String[] args) throws Exception {
    Machine.printLoad("at the start");
    int rows = 100_000;
    int seconds = 20;
    int rounds = 2;
    String baseline = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Integer.parseInt(args[i + 1]);
        case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
        case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
        case "--baseline" -> baseline = args[i + 1];
        default -> throw new IllegalArgumentException(
            "unknown argument " + args[i] + " (--rows N, --seconds S, --rounds R, --baseline CLASSPATH)");
      }
    }
    Path dataDir = BenchmarkData.home().resolve("data").resolve("store");
    S3Path root = S3Path.parse("s3://bench/long-rows-" + rows + "-" + SEED);
    Data data = prepare(dataDir, root, rows);
    System.out.printf(Locale.ROOT,
        "%,d bag-of-words rows (90%% to train on), %.0f non-zeros a row on average, 2^20 words; minibatch %d, %d s a"
            + " training, %d rounds%n%n", rows, data.meanNonZeros(), LongRowsTraining.MINIBATCH, seconds, rounds);

    Map<String, String> builds = new LinkedHashMap<>();
    builds.put(OURS, "");
    if (baseline != null) {
      for (String entry : baseline.split(File.pathSeparator)) {
        if (!Files.exists(Path.of(entry))) {
          throw new IllegalArgumentException("--baseline: no " + entry);
        }
      }
      builds.put(BASELINE, baseline + File.pathSeparator);
    }
    Map<String, List<Run>> runs = new LinkedHashMap<>();
    System.out.println("| round | workers | build | updates/s | validation logloss | AUC | updates | get model ms"
        + " | get minibatch ms | compute gradient ms | send gradient ms |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
    for (int round = 1; round <= rounds; round++) {
      for (int workers : WORKERS) {
        List<String> order = new ArrayList<>(builds.keySet());
        if (round % 2 == 0) {
          Collections.reverse(order);
        }
        for (String build : order) {
          Run r = train(builds.get(build), dataDir, root, workers, seconds);
          runs.computeIfAbsent(build + " " + workers, k -> new ArrayList<>()).add(r);
          System.out.printf(Locale.ROOT, "| %d | %d | %s | %,.0f | %.5f | %.4f | %,d | %.4f | %.4f | %.4f | %.4f |%n",
              round, workers, build, r.updatesPerSecond(), r.loss(), r.auc(), r.updates(), r.getModel(),
              r.getMinibatch(), r.computeGradient(), r.sendGradient());
        }
      }
    }
    System.out.printf(Locale.ROOT, "%nplanted model's logloss on the rows it labelled (the floor): %.5f%n",
        data.plantedLogloss());
    if (baseline != null) {
      System.out.println("\nours / baseline, median over rounds:");
      System.out.println("| workers | updates/s | get model | get minibatch | compute gradient | send gradient |");
      System.out.println("|---|---|---|---|---|---|");
      for (int workers : WORKERS) {
        List<Run> ours = runs.get(OURS + " " + workers);
        List<Run> base = runs.get(BASELINE + " " + workers);
        System.out.printf(Locale.ROOT, "| %d | %.2fx | %.2fx | %.2fx | %.2fx | %.2fx |%n", workers,
            medianRatio(ours, base, Run::updatesPerSecond), medianRatio(ours, base, Run::getModel),
            medianRatio(ours, base, Run::getMinibatch), medianRatio(ours, base, Run::computeGradient),
            medianRatio(ours, base, Run::sendGradient));
      }
    }
    Machine.printLoad("at the end");
    System.exit(0);
  }

  /** Round by round (both builds ran back to back in it), ours over the baseline; the median of those ratios. */
  private static double medianRatio(List<Run> ours, List<Run> baseline, ToDoubleFunction<Run> f) {
    double[] ratios = new double[ours.size()];
    for (int r = 0; r < ratios.length; r++) {
      ratios[r] = f.applyAsDouble(ours.get(r)) / f.applyAsDouble(baseline.get(r));
    }
    Arrays.sort(ratios);
    int n = ratios.length;
    return n % 2 == 1 ? ratios[n / 2] : (ratios[n / 2 - 1] + ratios[n / 2]) / 2;
  }

  private static Run train(String classPathPrefix, Path dataDir, S3Path root, int workers, int seconds)
      throws Exception {
    try (ChildProcess child = ChildJvm.mainClass(LongRowsTraining.class)
        .jvmOptions("-Xmx2g", "-XX:+UseParallelGC")
        .classPath(classPathPrefix + ClassPath.current())
        .arguments(dataDir.toString(), root.toString(), Integer.toString(workers), Integer.toString(seconds))
        .name("a long-rows training" + (classPathPrefix.isEmpty() ? "" : " of the baseline"))
        .readyWhen(LongRowsTraining.RESULT, Duration.ofSeconds(seconds + 180))
        .start()) {
      return Run.parse(child.ready());
    }
  }

  /** The generated rows' figures: the planted model's logloss on them (the floor) and their mean length. */
  record Data(double plantedLogloss, double meanNonZeros) {}

  /**
   * Writes the data set unless a run before wrote it (generation is deterministic for a seed, so it is generated again
   * only to learn its figures): 90% of the rows to train on, the rest for validation.
   */
  private static Data prepare(Path dataDir, S3Path root, int rows) {
    ObjectStore store = ObjectStore.of(StoreSpec.embedded(dataDir));
    store.ensureBucket(root.bucket());
    BagOfWordsGenerator generator = new BagOfWordsGenerator(SEED, VOCABULARY, TOKENS_PER_DOCUMENT, ZIPF_EXPONENT);
    long[] entries = new long[1];
    Iterable<SparseRow> train = generated(generator, rows * 9 / 10, entries);
    Iterable<SparseRow> validation = generated(generator, rows - rows * 9 / 10, entries);
    if (store.exists(root.resolve("test").resolve(DatasetManifest.NAME))) {
      train.forEach(row -> {});
      validation.forEach(row -> {});
    } else {
      long start = System.nanoTime();
      DatasetManifest template = DatasetManifest.template(VOCABULARY, List.of(), "bag-of-words", null);
      DatasetWriter.write(store, root.resolve("train"), train, template, ROWS_PER_PARTITION);
      DatasetWriter.write(store, root.resolve("test"), validation, template, ROWS_PER_PARTITION);
      System.out.printf(Locale.ROOT, "generated and wrote %,d rows in %.1f s%n", rows, (System.nanoTime() - start) / 1e9);
    }
    return new Data(generator.plantedLogloss(), (double) entries[0] / rows);
  }

  /** {@code count} rows of the generator, counting their entries into {@code entries[0]}. */
  private static Iterable<SparseRow> generated(BagOfWordsGenerator generator, int count, long[] entries) {
    return () -> new Iterator<>() {
      int left = count;

      @Override
      public boolean hasNext() {
        return left > 0;
      }

      @Override
      public SparseRow next() {
        left--;
        SparseRow row = generator.next();
        entries[0] += row.size();
        return row;
      }
    };
  }
}
