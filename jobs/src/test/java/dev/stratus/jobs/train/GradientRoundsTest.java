package dev.stratus.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.kernels.sgd.LinearGradient;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearObjective;
import dev.stratus.kernels.sgd.Minibatch;
import dev.stratus.kernels.solve.FullBatch;
import dev.stratus.kernels.solve.HeldPartitions;
import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.ShardAddress;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Rounds on real shards with real workers (threads) as the driver moves partitions between them: a worker added to
 * stand by says it is ready, then sums the partitions it is given, then returns once it is taken away, and every round
 * sums each partition's rows exactly once.
 */
@Timeout(60)
class GradientRoundsTest {
  private static final int FEATURES = 40;
  private static final LinearObjective LOGISTIC = LinearObjective.of(LinearLoss.LOGISTIC);

  @Test
  void partitionsMovedToAnAddedWorkerAndBackAreSummedOnceEachRound() throws Exception {
    PlantedData planted = new PlantedData(FEATURES, 3_000, 10, 3);
    SparseRow[][] partitions = new SparseRow[3][];
    for (int p = 0; p < 3; p++) {
      partitions[p] = planted.train.subList(p * 1_000, (p + 1) * 1_000).toArray(new SparseRow[0]);
    }
    double[] point = new double[FEATURES + 1];
    Random random = new Random(1);
    for (int i = 0; i < point.length; i++) {
      point[i] = random.nextGaussian() * 0.1;
    }
    float[] expected = wholeGradient(planted.train.toArray(new SparseRow[0]), point);
    ModelSpec spec = GradientRounds.roundSpec(FEATURES + 1, 1);
    try (Shards shards = Shards.inProcess(2);
        PsClient driver = PsClient.connect(shards.addresses(), shards.access(), 0);
        PsClient first = PsClient.connect(shards.addresses(), shards.access(), 1);
        PsClient added = PsClient.connect(shards.addresses(), shards.access(), 2)) {
      GradientRounds rounds = new GradientRounds(driver, "moved", spec);
      CompletableFuture<Void> worker0 = serve(new GradientWorker(first, "moved", 0, 1, LOGISTIC,
          held(partitions, 0, 1, 2), spec, ComputeClock.THREAD, over -> connect(over, shards, 1)));
      CompletableFuture<Void> worker1 = serve(new GradientWorker(added, "moved", 1, 7, LOGISTIC,
          held(partitions, 2), spec, ComputeClock.THREAD, over -> connect(over, shards, 2)));

      assertSums(expected, sums(rounds, point, new int[][] {{0, 1, 2}, {}}), "worker 1 standing by");
      assertEquals("7", awaitReady(driver, "moved", 1), "the added worker says it read its partitions");
      assertSums(expected, sums(rounds, point, new int[][] {{0, 1}, {2}}), "partition 2 moved to worker 1");
      assertSums(expected, sums(rounds, point, new int[][] {{0, 1, 2}, null}), "worker 1 taken away");
      worker1.get(10, TimeUnit.SECONDS); // it returned on its own
      assertFalse(worker0.isDone(), "worker 0 serves on");

      rounds.begin(point, new int[][] {{0, 3}, null});
      GradientRounds.AbandonedException abandoned = assertThrows(GradientRounds.AbandonedException.class,
          () -> awaitSums(rounds));
      assertTrue(abandoned.getMessage().contains("worker 0 was given partition 3, which it does not hold"),
          abandoned.getMessage());
      driver.put(WorkerCheckpoints.stopKey("moved"), WorkerCheckpoints.stopFrom(0)).get(10, TimeUnit.SECONDS);
      worker0.get(10, TimeUnit.SECONDS);
      rounds.end();
    }
  }

  /**
   * Rounds the driver places over more shards than the job's, started beside them, sum the same: the workers follow
   * the round's key to them, and a round's models go from the shards it ended on.
   */
  @Test
  void roundsPlacedOverMoreShardsSumTheSameAndLeaveNothingBehind() throws Exception {
    PlantedData planted = new PlantedData(FEATURES, 2_000, 10, 5);
    SparseRow[][] partitions = {
        planted.train.subList(0, 1_000).toArray(new SparseRow[0]),
        planted.train.subList(1_000, 2_000).toArray(new SparseRow[0])};
    double[] point = new double[FEATURES + 1];
    Arrays.fill(point, 0.05);
    float[] expected = wholeGradient(planted.train.toArray(new SparseRow[0]), point);
    ModelSpec spec = GradientRounds.roundSpec(FEATURES + 1, 1);
    try (Shards shards = Shards.inProcess(1);
        Shards more = shards.startMore(2);
        PsClient driver = PsClient.connect(shards.addresses(), shards.access(), 0);
        PsClient worker = PsClient.connect(shards.addresses(), shards.access(), 1)) {
      List<InetSocketAddress> over = new ArrayList<>(shards.addresses());
      over.addAll(more.addresses());
      GradientRounds rounds = new GradientRounds(driver, "resliced", spec);
      CompletableFuture<Void> serving = serve(new GradientWorker(worker, "resliced", 0, 1, LOGISTIC,
          held(partitions, 0, 1), spec, ComputeClock.THREAD, placed -> connect(placed, shards, 1)));
      assertSums(expected, sums(rounds, point, new int[][] {{0, 1}}), 2_000, "on the job's shard");
      try (PsClient placed = PsClient.connect(over, shards.access(), 0)) {
        rounds.placeOver(placed, over);
        assertSums(expected, sums(rounds, point, new int[][] {{0, 1}}), 2_000, "over three shards");
        assertEquals(over.stream().map(ShardAddress::format).toList(),
            GradientRounds.decodeRound(driver.get(GradientRounds.roundKey("resliced")).get(10, TimeUnit.SECONDS))
                .shards().stream().map(ShardAddress::format).toList(),
            "the round's key names the shards its models are on");
        assertSums(expected, sums(rounds, point, new int[][] {{0, 1}}), 2_000, "over three shards again");
        driver.put(WorkerCheckpoints.stopKey("resliced"), WorkerCheckpoints.stopFrom(0)).get(10, TimeUnit.SECONDS);
        serving.get(10, TimeUnit.SECONDS);
        rounds.end();
        for (int round = 0; round < 3; round++) {
          assertFalse(placed.deleteModel(GradientRounds.pointModel("resliced", round)).get(10, TimeUnit.SECONDS),
              "round " + round + "'s point was left on a shard");
        }
      }
    }
  }

  /**
   * Keys no row has take no part in a round once the squares say which those are: the point is written at the keys
   * whose values are not zero and the gradient read at the keys some row has, and the sums are the whole gradient's
   * all the same, zeros where no row is.
   */
  @Test
  void roundsOnlyWriteAndReadTheKeysThatMatterAndSumTheWholeGradient() throws Exception {
    Random random = new Random(11);
    SparseRow[] rows = new SparseRow[1_000];
    for (int r = 0; r < rows.length; r++) {
      int[] even = random.ints(0, FEATURES / 2).distinct().limit(4).sorted().map(f -> 2 * f).toArray();
      float[] values = new float[even.length];
      for (int j = 0; j < values.length; j++) {
        values[j] = (float) random.nextGaussian();
      }
      rows[r] = new SparseRow(random.nextInt(2), even, values);
    }
    double[] point = new double[FEATURES + 1];
    for (int i = 0; i < point.length; i += 3) {
      point[i] = random.nextGaussian() * 0.1; // zeros at two keys of three, some of them keys rows have
    }
    float[] expected = wholeGradient(rows, point);
    ModelSpec spec = GradientRounds.roundSpec(FEATURES + 1, 1);
    try (Shards shards = Shards.inProcess(2);
        PsClient driver = PsClient.connect(shards.addresses(), shards.access(), 0);
        PsClient worker = PsClient.connect(shards.addresses(), shards.access(), 1)) {
      GradientRounds rounds = new GradientRounds(driver, "touched", spec);
      CompletableFuture<Void> serving = serve(new GradientWorker(worker, "touched", 0, 1, LOGISTIC,
          held(new SparseRow[][] {rows}, 0), spec, ComputeClock.THREAD, over -> connect(over, shards, 1)));
      assertSums(expected, sums(rounds, point, new int[][] {{0}}), 1_000, "the whole gradient read");
      rounds.beginSquares(new int[][] {{0}});
      rounds.readOnlyTouched(awaitSums(rounds));
      GradientRounds.Sums touched = sums(rounds, point, new int[][] {{0}});
      assertSums(expected, touched, 1_000, "the keys rows have read");
      for (int odd = 1; odd < FEATURES; odd += 2) {
        assertEquals(0, touched.gradient()[odd], "key " + odd + ", which no row has");
      }
      driver.put(WorkerCheckpoints.stopKey("touched"), WorkerCheckpoints.stopFrom(0)).get(10, TimeUnit.SECONDS);
      serving.get(10, TimeUnit.SECONDS);
      rounds.end();
    }
  }

  private static PsClient connect(List<InetSocketAddress> over, Shards shards, int worker) {
    return PsClient.connect(over, shards.access(), worker);
  }

  private static HeldPartitions held(SparseRow[][] partitions, int... numbers) {
    return new HeldPartitions(Arrays.stream(numbers).boxed()
        .collect(Collectors.toMap(p -> p, p -> FullBatch.of(partitions[p], FEATURES))));
  }

  /**
   * An SGD start: each worker's pass of AdaGrad over its rows, a row at a time, is what a new shard model, its penalty
   * every weight's at every push, becomes when pushed each row's gradient at the weights pulled before it; the
   * round's sums, divided by the rows, are the two workers' models averaged by their rows. At a penalty strong
   * enough that a weight's missed penalties show, and without one (the driver's first pass).
   */
  @ParameterizedTest
  @ValueSource(floats = {0.01f, 0})
  void anSgdStartIsTheWorkersModelsSteppedAsOnTheShardsARowAPushAveragedByRows(float l2) throws Exception {
    PlantedData planted = new PlantedData(FEATURES, 1_500, 10, 9);
    SparseRow[][] partitions = {
        planted.train.subList(0, 1_000).toArray(new SparseRow[0]),
        planted.train.subList(1_000, 1_500).toArray(new SparseRow[0])};
    float rate = 0.1f;
    ModelSpec stepped = ModelSpec.matrix(FEATURES + 1, 1).optimizer(Optimizer.ADAGRAD).learningRate(rate).l2(l2)
        .l2AllRows(true).initScale(0);
    ModelSpec spec = GradientRounds.roundSpec(FEATURES + 1, 1);
    try (Shards shards = Shards.inProcess(1);
        PsClient driver = PsClient.connect(shards.addresses(), shards.access(), 0);
        PsClient first = PsClient.connect(shards.addresses(), shards.access(), 1);
        PsClient second = PsClient.connect(shards.addresses(), shards.access(), 2)) {
      float[] expected = new float[FEATURES + 1];
      for (int p = 0; p < partitions.length; p++) {
        float[] model = rowAPush(driver, driver.createModel("stepped-" + p, stepped), partitions[p]);
        for (int i = 0; i < expected.length; i++) {
          expected[i] += model[i] * partitions[p].length / 1_500f;
        }
      }
      GradientRounds rounds = new GradientRounds(driver, "started", spec);
      CompletableFuture<Void> worker0 = serve(new GradientWorker(first, "started", 0, 1, LOGISTIC,
          held(partitions, 0), spec, ComputeClock.THREAD, over -> connect(over, shards, 1)));
      CompletableFuture<Void> worker1 = serve(new GradientWorker(second, "started", 1, 1, LOGISTIC,
          held(partitions, 1), spec, ComputeClock.THREAD, over -> connect(over, shards, 2)));
      rounds.beginSgdStart(rate, l2, new int[][] {{0}, {1}});
      GradientRounds.Sums sums = awaitSums(rounds);
      assertEquals(1_500, sums.rows());
      double moved = 0;
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], sums.gradient()[i] / sums.rows(), 1e-7 + 1e-5 * Math.abs(expected[i]), "key " + i);
        moved += Math.abs(expected[i]);
      }
      assertTrue(moved > 1, "the models learnt: their weights' absolute sum " + moved);
      driver.put(WorkerCheckpoints.stopKey("started"), WorkerCheckpoints.stopFrom(0)).get(10, TimeUnit.SECONDS);
      worker0.get(10, TimeUnit.SECONDS);
      worker1.get(10, TimeUnit.SECONDS);
      rounds.end();
    }
  }

  /** {@code model}'s weights once pushed each row's gradient, one push a row, at the weights pulled before it. */
  private static float[] rowAPush(PsClient client, PsModel model, SparseRow[] rows) throws Exception {
    Minibatch one = new Minibatch();
    for (int r = 0; r < rows.length; r++) {
      one.fill(rows, r, r + 1, FEATURES);
      int[] keys = one.keys();
      float[] pulled = client.pull(model, keys).get(10, TimeUnit.SECONDS);
      float[] gradient = new float[keys.length];
      LinearGradient.compute(LOGISTIC, one, pulled, gradient);
      client.push(model, keys, gradient).get(10, TimeUnit.SECONDS);
    }
    return client.pullAll(model).get(10, TimeUnit.SECONDS);
  }

  private static CompletableFuture<Void> serve(GradientWorker worker) {
    return CompletableFuture.runAsync(() -> {
      try {
        worker.run(() -> false);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /** The summed gradient of {@code rows} at {@code point}, over every key (those no row has: 0). */
  private static float[] wholeGradient(SparseRow[] rows, double[] point) {
    HeldPartitions all = new HeldPartitions(Map.of(0, FullBatch.of(rows, FEATURES)));
    int[] keys = all.keys(new int[] {0});
    float[] weights = new float[keys.length];
    for (int k = 0; k < keys.length; k++) {
      weights[k] = (float) point[keys[k]];
    }
    float[] gradient = new float[keys.length];
    all.gradient(new int[] {0}, LOGISTIC, weights, gradient);
    float[] whole = new float[point.length];
    for (int k = 0; k < keys.length; k++) {
      whole[keys[k]] = gradient[k];
    }
    return whole;
  }

  private static GradientRounds.Sums sums(GradientRounds rounds, double[] point, int[][] assignment)
      throws Exception {
    rounds.begin(point, assignment);
    return awaitSums(rounds);
  }

  private static GradientRounds.Sums awaitSums(GradientRounds rounds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    GradientRounds.Sums sums;
    while ((sums = rounds.collect()) == null) {
      assertTrue(System.nanoTime() < deadline, "the round's workers did not report");
      Thread.sleep(2);
    }
    return sums;
  }

  private static String awaitReady(PsClient driver, String model, int worker) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    byte[] ready;
    while ((ready = driver.get(GradientRounds.readyKey(model, worker)).get(10, TimeUnit.SECONDS)) == null) {
      assertTrue(System.nanoTime() < deadline, "worker " + worker + " never said it was ready");
      Thread.sleep(2);
    }
    return new String(ready, StandardCharsets.UTF_8);
  }

  private static void assertSums(float[] expected, GradientRounds.Sums sums, String when) {
    assertSums(expected, sums, 3_000, when);
  }

  private static void assertSums(float[] expected, GradientRounds.Sums sums, long rows, String when) {
    assertEquals(rows, sums.rows(), when);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], sums.gradient()[i], 1e-3 * (1 + Math.abs(expected[i])), when + ", key " + i);
    }
    assertTrue(sums.coreShare() > 0, when + ": " + sums.coreShare());
  }
}
