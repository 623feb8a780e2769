package dev.stratus.benchmarks.ps;

import dev.stratus.benchmarks.Machine;
import dev.stratus.benchmarks.Rounds;
import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import dev.stratus.ps.server.PsProcesses;
import dev.stratus.ps.server.ShardConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * What moving an SGD model onto twice its shards costs the training's pause, against what its driver already spends
 * at every evaluation reading the whole model: a Criteo-sized model (2^20 rows, AdaGrad, an L2 penalty on every row,
 * every row pushed to), on shard processes as LambdaRunner starts them, copied from 1 shard onto 2 and from 2 onto 4
 * ({@code PsClient.copyModel}: values and AdaGrad's sums, a frame at a time) beside a whole-model read of the same
 * model ({@code PsClient.pullAll}); the three in turn each round, the ratios the medians'.
 *
 * <pre>mvn -q -pl benchmarks exec:java@model-move [-Dexec.args="ROUNDS"]</pre>
 */
public final class ModelMoveBenchmark {
  private static final String SECRET = "model-move-benchmark";
  private static final int MODEL_BITS = 20;

  private ModelMoveBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    Machine.printLoad("at the start");
    ModelSpec spec = ModelSpec.vector(MODEL_BITS).optimizer(Optimizer.ADAGRAD).learningRate(0.05f).l2(1e-6f)
        .l2AllRows(true);
    List<Double> reads = new ArrayList<>();
    List<Double> ontoTwo = new ArrayList<>();
    List<Double> ontoFour = new ArrayList<>();
    try (PsProcesses processes = PsProcesses.start(4, ShardConfig.of(SECRET), "1g")) {
      List<InetSocketAddress> all = processes.addresses();
      try (PsClient one = PsClient.connect(all.subList(0, 1), SECRET);
          PsClient two = PsClient.connect(all.subList(0, 2), SECRET);
          PsClient four = PsClient.connect(all, SECRET)) {
        PsModel model = one.createModel("trained", spec);
        pushToEveryRow(one, model);
        System.out.println("| round | whole-model read, s | copy 1 -> 2 shards, s | copy 2 -> 4 shards, s |");
        System.out.println("|---|---:|---:|---:|");
        for (int round = 1; round <= rounds; round++) {
          long began = System.nanoTime();
          float[] whole = one.pullAll(model).get();
          double read = seconds(began);
          began = System.nanoTime();
          PsModel onTwo = one.copyModel(model, two, "on-two-" + round);
          double toTwo = seconds(began);
          began = System.nanoTime();
          PsModel onFour = two.copyModel(onTwo, four, "on-four-" + round);
          double toFour = seconds(began);
          check(whole, four.pullAll(onFour).get());
          two.deleteModel(onTwo.name()).get();
          four.deleteModel(onFour.name()).get();
          reads.add(read);
          ontoTwo.add(toTwo);
          ontoFour.add(toFour);
          System.out.printf(Locale.ROOT, "| %d | %.3f | %.3f | %.3f |%n", round, read, toTwo, toFour);
        }
      }
    }
    double read = Rounds.median(reads);
    System.out.printf(Locale.ROOT, "%n2^%d rows: values and AdaGrad's sums, %.1f MB held; medians: whole-model read %.3f"
        + " s, copy onto 2 shards %.3f s (%.2fx the read), onto 4 %.3f s (%.2fx)%n", MODEL_BITS,
        (1 << MODEL_BITS) * 8 / 1e6, read, Rounds.median(ontoTwo), Rounds.median(ontoTwo) / read,
        Rounds.median(ontoFour), Rounds.median(ontoFour) / read);
    Machine.printLoad("at the end");
    System.exit(0);
  }

  /** Pushes a gradient to every row, a minibatch's worth of keys at a time, so values and sums are all non-zero. */
  private static void pushToEveryRow(PsClient client, PsModel model) throws Exception {
    Random random = new Random(1);
    int rows = 1 << MODEL_BITS;
    int batch = 1 << 14;
    for (int from = 0; from < rows; from += batch) {
      int[] keys = new int[batch];
      float[] gradient = new float[batch];
      for (int i = 0; i < batch; i++) {
        keys[i] = from + i;
        gradient[i] = (float) random.nextGaussian();
      }
      client.push(model, keys, gradient).get();
    }
  }

  /** The copy must read as the model did: the benchmark measures a copy that is right. */
  private static void check(float[] expected, float[] copied) {
    for (int i = 0; i < expected.length; i++) {
      if (Float.compare(expected[i], copied[i]) != 0) {
        throw new IllegalStateException("the copy differs at row " + i + ": " + copied[i] + " against " + expected[i]);
      }
    }
  }

  private static double seconds(long began) {
    return (System.nanoTime() - began) / 1e9;
  }
}
