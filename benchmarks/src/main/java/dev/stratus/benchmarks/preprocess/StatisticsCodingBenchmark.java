package dev.stratus.benchmarks.preprocess;

import dev.stratus.benchmarks.Directories;
import dev.stratus.benchmarks.Machine;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.FeatureStatistics;
import dev.stratus.kernels.dataset.FeatureStatisticsCoder;
import dev.stratus.kernels.generate.CriteoGenerator;
import dev.stratus.kernels.text.CriteoFormat;
import dev.stratus.kernels.text.TextLoader;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.CoderUtils;

/**
 * What Normalize's statistics cost on their way through the store, in the layout its coder writes against the arrays
 * in bulk it wrote before: the per-partition statistics of generated Criteo rows, each written to the embedded store
 * as the statistics stage's task writes its output, then read back, decoded and merged, the merge encoded and written,
 * as the {@code MergeStatistics} stage's task does. Both layouts in turn, the same statistics, in the same run.
 *
 * <pre>mvn -q -o -pl benchmarks compile exec:java@statistics-coding [-Dexec.args="--rows 1000000 --partitions 2"]</pre>
 */
public final class StatisticsCodingBenchmark {
  private static final int MODEL_BITS = 20;
  private static final int ROUNDS = 5;
  private static final String BUCKET = "statistics";

  private StatisticsCodingBenchmark() {}

  public static void main(String[] args) throws IOException {
    long rows = 1_000_000;
    int partitions = 2;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Long.parseLong(args[i + 1].replace("_", ""));
        case "--partitions" -> partitions = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (--rows N, --partitions P)");
      }
    }
    Path work = Files.createTempDirectory("stratus-statistics-coding");
    try {
      run(work, rows, partitions);
    } finally {
      Directories.deleteRecursively(work);
    }
    System.exit(0); // the embedded store's server threads are not daemons
  }

  private record Layout(String name, Function<FeatureStatistics, byte[]> encode) {}

  private static void run(Path work, long rows, int partitions) throws IOException {
    System.out.printf("Normalize's statistics of %,d generated Criteo rows in %d partitions, modelBits %d, through the"
        + " embedded store; %d rounds a layout, alternating; %d cores (load average %.1f), Java %s%n", rows,
        partitions, MODEL_BITS, ROUNDS, Runtime.getRuntime().availableProcessors(), Machine.loadAverage(),
        Runtime.version());
    List<FeatureStatistics> parts = statistics(work, rows, partitions);
    ObjectStore store = ObjectStore.of(StoreOptions.spec(PipelineOptionsFactory
        .fromArgs("--runner=DirectRunner", "--dataDir=" + work.resolve("store")).as(StoreOptions.class)));
    store.ensureBucket(BUCKET);
    FeatureStatisticsCoder coder = FeatureStatisticsCoder.of();
    List<Layout> layouts = List.of(
        new Layout("arrays in bulk (before)", StatisticsCodingBenchmark::bulk),
        new Layout("compact (the coder's)", s -> encode(coder, s)));
    long[][] bytes = new long[layouts.size()][2];
    double[][] seconds = new double[layouts.size()][ROUNDS + 1];
    for (int round = 0; round <= ROUNDS; round++) { // round 0 warms the JIT and the store up, uncounted
      for (int l = 0; l < layouts.size(); l++) {
        Layout layout = layouts.get(l);
        long start = System.nanoTime();
        long partBytes = 0;
        for (int p = 0; p < parts.size(); p++) {
          byte[] coded = layout.encode().apply(parts.get(p));
          partBytes += coded.length;
          store.put(S3Path.parse("s3://" + BUCKET + "/" + l + "/part-" + p), coded);
        }
        FeatureStatistics merged = FeatureStatistics.empty();
        for (int p = 0; p < parts.size(); p++) {
          byte[] coded = store.get(S3Path.parse("s3://" + BUCKET + "/" + l + "/part-" + p));
          merged = merged.merge(CoderUtils.decodeFromByteArray(coder, coded));
        }
        byte[] mergedCoded = layout.encode().apply(merged);
        store.put(S3Path.parse("s3://" + BUCKET + "/" + l + "/merged"), mergedCoded);
        seconds[l][round] = (System.nanoTime() - start) / 1e9;
        bytes[l][0] = partBytes;
        bytes[l][1] = mergedCoded.length;
      }
    }
    int features = parts.stream().mapToInt(FeatureStatistics::size).sum();
    System.out.printf("%n%,d features over the partitions' statistics%n%n", features);
    System.out.println("| layout | partitions' bytes | bytes a feature | merged bytes | seconds a round (median) |");
    System.out.println("|---|---:|---:|---:|---:|");
    double[] medians = new double[layouts.size()];
    for (int l = 0; l < layouts.size(); l++) {
      double[] counted = Arrays.copyOfRange(seconds[l], 1, ROUNDS + 1);
      Arrays.sort(counted);
      medians[l] = counted[ROUNDS / 2];
      System.out.printf("| %s | %,d | %.1f | %,d | %.3f |%n", layouts.get(l).name(), bytes[l][0],
          (double) bytes[l][0] / features, bytes[l][1], medians[l]);
    }
    System.out.printf("%ncompact over bulk: bytes %.3fx, time through the store %.2fx%n",
        (double) bytes[1][0] / bytes[0][0], medians[1] / medians[0]);
  }

  /** Each partition's statistics, the rows parsed and hashed as LoadCriteo does. */
  private static List<FeatureStatistics> statistics(Path work, long rows, int partitions) throws IOException {
    Path file = work.resolve("day_00.tsv");
    CriteoGenerator.withSeed(42).writeTsv(file, rows);
    List<SparseRow> parsed = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      TextLoader.load(file.toString(), in, new CriteoFormat(MODEL_BITS, true).newParser(), false, parsed::add);
    }
    List<FeatureStatistics> parts = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      FeatureStatistics.Builder builder = FeatureStatistics.builder();
      parsed.subList(parsed.size() * p / partitions, parsed.size() * (p + 1) / partitions).forEach(builder::add);
      parts.add(builder.build());
    }
    return parts;
  }

  private static byte[] encode(FeatureStatisticsCoder coder, FeatureStatistics statistics) {
    try {
      return CoderUtils.encodeToByteArray(coder, statistics);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The layout the coder wrote before ("FST1", which it still reads): a header, then per chunk of 16,384 features
   * their indices, counts, and four columns of doubles. The doubles are what the accessors give (absent rows counted),
   * not the raw sums: the same bytes, and the same work to write, read and merge.
   */
  private static byte[] bulk(FeatureStatistics s) {
    int n = s.size();
    ByteBuffer out = ByteBuffer.allocate(16 + n * (Integer.BYTES + Long.BYTES + 4 * Double.BYTES));
    out.putInt(0x31545346).putLong(s.rows()).putInt(n);
    int chunk = 1 << 14;
    for (int from = 0; from < n; from += chunk) {
      int to = Math.min(n, from + chunk);
      for (int k = from; k < to; k++) {
        out.putInt(s.index(k));
      }
      for (int k = from; k < to; k++) {
        out.putLong(s.present(k));
      }
      for (int k = from; k < to; k++) {
        out.putDouble(s.min(k));
      }
      for (int k = from; k < to; k++) {
        out.putDouble(s.max(k));
      }
      for (int k = from; k < to; k++) {
        out.putDouble(s.mean(k) * s.rows());
      }
      for (int k = from; k < to; k++) {
        double sd = s.standardDeviation(k);
        out.putDouble((sd * sd + s.mean(k) * s.mean(k)) * s.rows());
      }
    }
    return out.array();
  }
}
