package dev.stratus.benchmarks.training;

import dev.stratus.benchmarks.Machine;
import dev.stratus.jvm.ChildJvm;
import dev.stratus.jvm.ChildProcess;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.LinearGradient;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearObjective;
import dev.stratus.kernels.sgd.Minibatch;
import dev.stratus.kernels.solve.FullBatch;
import dev.stratus.kernels.solve.HeldPartitions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * An L-BFGS worker's pass over the rows it holds in 11 partitions, as {@code HeldPartitions} computes it (every chunk
 * reading the weights and summing the gradient in arrays indexed by model key), beside the pass as it was before
 * 5639507 (each chunk's values gathered into a compact array through its keys' positions in its partition's keys and
 * theirs in the round's, its mean gradient computed there and scattered back), on the same Criteo-shaped rows (13 numeric and 26 hashed categorical features a row, the
 * categories skewed), passes interleaved, medians. Each in a JVM of its own: C1 alone, as Lambda compiles, then the
 * full JIT.
 *
 * <pre>mvn -q -pl benchmarks exec:java@full-batch [-Dexec.args="--rows 450000 --passes 15"]</pre>
 */
public final class FullBatchBenchmark {
  private static final int FEATURE_BITS = 19;
  private static final int CHUNK_ROWS = 4096;
  /** The partitions one of two workers holds on the peers benchmark's million rows. */
  private static final int PARTITIONS = 11;

  private FullBatchBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rows = 450_000; // one of two workers' share of the peers benchmark's rows
    int passes = 15;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Integer.parseInt(args[i + 1]);
        case "--passes" -> passes = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (--rows N, --passes P)");
      }
    }
    Machine.printLoad("at the start");
    System.out.printf("a pass over %,d Criteo-shaped rows (2^%d features), %d passes each way, interleaved%n%n", rows,
        FEATURE_BITS, passes);
    System.out.println("| JIT | by key (now) | gathered per chunk (before) | before / now | same loss |");
    System.out.println("|---|---:|---:|---:|---|");
    for (String[] jit : new String[][] {{"C1 alone (Lambda's)", "-XX:TieredStopAtLevel=1"}, {"full", "-XX:+TieredCompilation"}}) {
      ChildProcess child = ChildJvm.mainClass(Passes.class)
          .jvmOptions("-Xmx3g", jit[1])
          .arguments(jit[0], Integer.toString(rows), Integer.toString(passes))
          .name("the passes under " + jit[0])
          .output(ChildProcess.Output.inherit())
          .start();
      if (!child.waitFor(Duration.ofMinutes(10)) || child.exitCode() != 0) {
        child.close();
        throw new IllegalStateException("the passes under " + jit[0] + " failed (exit " + child.exitCode() + ")");
      }
    }
    Machine.printLoad("at the end");
  }

  /** Times both passes in this JVM and prints one row of the table. */
  public static final class Passes {
    public static void main(String[] args) {
      int rowCount = Integer.parseInt(args[1]);
      int passes = Integer.parseInt(args[2]);
      int bias = 1 << FEATURE_BITS;
      SparseRow[] rows = criteoShaped(rowCount, bias, new Random(3));
      LinearObjective objective = LinearObjective.of(LinearLoss.LOGISTIC);

      // one worker's partitions, a round summing them all
      Map<Integer, FullBatch> batches = new HashMap<>();
      List<SparseRow[]> partitions = new ArrayList<>();
      int[] partition = new int[PARTITIONS];
      for (int p = 0; p < PARTITIONS; p++) {
        partitions.add(Arrays.copyOfRange(rows, p * rowCount / PARTITIONS, (p + 1) * rowCount / PARTITIONS));
        batches.put(p, FullBatch.of(partitions.get(p), bias));
        partition[p] = p;
      }
      HeldPartitions held = new HeldPartitions(batches);
      int[] keys = held.keys(partition);
      float[] weights = new float[keys.length];
      for (int k = 0; k < keys.length; k++) {
        weights[k] = (float) Math.sin(keys[k]) * 0.01f;
      }
      Gathered before = new Gathered(partitions, bias, keys);

      float[] byKey = new float[keys.length];
      float[] gathered = new float[keys.length];
      long[] now = new long[passes];
      long[] then = new long[passes];
      double lossNow = 0;
      double lossThen = 0;
      for (int p = 0; p < passes; p++) {
        long started = System.nanoTime();
        lossNow = held.gradient(partition, objective, weights, byKey);
        now[p] = System.nanoTime() - started;
        started = System.nanoTime();
        lossThen = before.pass(objective, weights, gathered);
        then[p] = System.nanoTime() - started;
      }
      double nowMs = median(now) / 1e6;
      double thenMs = median(then) / 1e6;
      System.out.printf("| %s | %.1f ms | %.1f ms | %.2fx | %s (%.4f, %.4f) |%n", args[0], nowMs, thenMs,
          thenMs / nowMs, Math.abs(lossNow - lossThen) <= 1e-6 * Math.abs(lossThen) ? "yes" : "NO", lossNow, lossThen);
    }
  }

  /**
   * The pass before: each partition's chunks laid out with keys of their own (slots into them), each chunk key's
   * position in its partition's union and each of those in the round's union, the values gathered per chunk through
   * both, the chunk's mean gradient scattered back through both times its rows.
   */
  static final class Gathered {
    private final List<Minibatch> chunks = new ArrayList<>();
    private final List<int[]> positions = new ArrayList<>();
    private final List<int[]> into = new ArrayList<>();

    Gathered(List<SparseRow[]> partitions, int bias, int[] union) {
      for (SparseRow[] rows : partitions) {
        int[] partitionKeys = FullBatch.of(rows, bias).keys();
        int[] partitionInto = new int[partitionKeys.length];
        for (int k = 0; k < partitionKeys.length; k++) {
          partitionInto[k] = Arrays.binarySearch(union, partitionKeys[k]);
        }
        for (int from = 0; from < rows.length; from += CHUNK_ROWS) {
          Minibatch chunk = new Minibatch().fill(rows, from, Math.min(rows.length, from + CHUNK_ROWS), bias);
          int[] at = new int[chunk.keyCount()];
          for (int k = 0; k < at.length; k++) {
            at[k] = Arrays.binarySearch(partitionKeys, chunk.keyBuffer()[k]);
          }
          chunks.add(chunk);
          positions.add(at);
          into.add(partitionInto);
        }
      }
    }

    double pass(LinearObjective objective, float[] weights, float[] gradient) {
      Arrays.fill(gradient, 0f);
      double loss = 0;
      float[] values = new float[0];
      float[] chunkGradient = new float[0];
      for (int c = 0; c < chunks.size(); c++) {
        Minibatch chunk = chunks.get(c);
        int[] at = positions.get(c);
        int[] partitionInto = into.get(c);
        if (values.length < at.length) {
          values = new float[at.length];
          chunkGradient = new float[at.length];
        }
        for (int k = 0; k < at.length; k++) {
          System.arraycopy(weights, partitionInto[at[k]], values, k, 1);
        }
        loss += LinearGradient.compute(objective, chunk, values, chunkGradient);
        for (int k = 0; k < at.length; k++) {
          gradient[partitionInto[at[k]]] += chunkGradient[k] * chunk.rows();
        }
      }
      return loss;
    }
  }

  /** Rows of 13 numeric features and 26 categorical ones hashed over the key space, the categories skewed. */
  static SparseRow[] criteoShaped(int count, int bias, Random random) {
    SparseRow[] rows = new SparseRow[count];
    for (int r = 0; r < count; r++) {
      TreeMap<Integer, Float> row = new TreeMap<>();
      for (int j = 0; j < 13; j++) {
        row.put(j, (float) random.nextGaussian());
      }
      for (int j = 0; j < 26; j++) {
        double u = random.nextDouble();
        row.put(13 + (int) ((bias - 14) * u * u * u), 1f);
      }
      int[] indices = row.keySet().stream().mapToInt(Integer::intValue).toArray();
      float[] values = new float[indices.length];
      int i = 0;
      for (float v : row.values()) {
        values[i++] = v;
      }
      rows[r] = new SparseRow(random.nextBoolean() ? 1 : 0, indices, values);
    }
    return rows;
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
