package dev.stratus.ps.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.ModelStatus;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.server.ShardConfig;
import dev.stratus.ps.server.Shards;
import java.util.Arrays;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A model copied onto more shards goes on there as it would have where it was: the same values, optimizer state,
 * penalty bookkeeping, clock and counts.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CopyModelTest {
  private static final int ROWS = 1 << 12;

  @Test
  void adagradWithAPenaltyOnEveryRowGoesOnOnTwoAndFourShardsAsOnOne() throws Exception {
    ModelSpec spec = ModelSpec.vector(12).optimizer(Optimizer.ADAGRAD).learningRate(0.3f).l2(0.01f).l2AllRows(true)
        .initScale(0.1f);
    copiesGoOnAsTheOriginal(spec, ShardConfig.of(Shards.SECRET), 2);
    copiesGoOnAsTheOriginal(spec, ShardConfig.of(Shards.SECRET), 4);
  }

  @Test
  void anL1ModelsDualAveragesGoOnAsOnOne() throws Exception {
    copiesGoOnAsTheOriginal(
        ModelSpec.vector(12).optimizer(Optimizer.ADAGRAD).learningRate(0.5f).l2AllRows(true).l2(0.001f).l1(0.05f),
        ShardConfig.of(Shards.SECRET), 2);
  }

  @Test
  void aMomentumMatrixMovesInPiecesWhenItsSliceExceedsAFrame() throws Exception {
    // 4,096 rows of 3 columns, values and velocities: 98 KB a slice, in frames of 40 KB (8 KB of rows a piece)
    copiesGoOnAsTheOriginal(ModelSpec.matrix(ROWS, 3).optimizer(Optimizer.MOMENTUM).momentum(0.9f).learningRate(0.1f),
        ShardConfig.of(Shards.SECRET).maxFrameBytes(40 << 10), 2);
  }

  @Test
  void aCountThatSplitsASliceAcrossTwoIsRefusedNamingTheCounts() throws Exception {
    try (Shards two = Shards.start(2); Shards three = Shards.start(3);
        PsClient from = two.client(); PsClient onto = three.client()) {
      PsModel model = from.createModel("m", ModelSpec.vector(12));
      IllegalArgumentException refused =
          assertThrows(IllegalArgumentException.class, () -> from.copyModel(model, onto, "m"));
      assertTrue(refused.getMessage().contains("on 2 shards can not be copied onto 3"), refused.getMessage());
      assertTrue(refused.getMessage().contains("a multiple of 2"), refused.getMessage());
    }
  }

  /**
   * Trains a model on one shard with two workers, copies it onto {@code count} shards, and pushes the same further
   * gradients to both: every value, the clock and each worker's count must agree before and after.
   */
  private static void copiesGoOnAsTheOriginal(ModelSpec spec, ShardConfig config, int count) throws Exception {
    try (Shards one = Shards.start(1, config); Shards many = Shards.start(count, config);
        PsClient first = one.client(1); PsClient second = one.client(2); PsClient onto = many.client(1)) {
      PsModel model = first.createModel("m", spec);
      Random random = new Random(7);
      for (int i = 0; i < 40; i++) {
        PsClient worker = i % 3 == 0 ? second : first;
        push(worker, model, random, count);
      }
      PsModel copy = first.copyModel(model, onto, "m-copy");

      assertArrayEquals(first.pullAll(model).get(), onto.pullAll(copy).get(), "values as copied onto " + count);
      ModelStatus before = first.status(model).get();
      assertEquals(before, onto.status(copy).get(), "clock and counts as copied onto " + count);
      assertEquals(40, before.clock());

      for (int i = 0; i < 30; i++) {
        long seed = random.nextLong();
        push(first, model, new Random(seed), count);
        push(onto, copy, new Random(seed), count);
      }
      float[] original = first.pullAll(model).get();
      float[] copied = onto.pullAll(copy).get();
      assertTrue(Arrays.stream(toDoubles(original)).anyMatch(v -> v != 0), "the model trained");
      assertArrayEquals(original, copied, 1e-6f, "values after 30 more pushes on " + count + " shards");
      assertEquals(first.status(model).get().clock(), onto.status(copy).get().clock());
    }
  }

  /**
   * Pushes a random gradient for keys in every one of {@code count} equal slices, so each shard of the copy counts the
   * push as the one shard of the original does (a penalty on every row is taken per push a shard applies).
   */
  private static void push(PsClient worker, PsModel model, Random random, int count) throws Exception {
    TreeSet<Integer> keys = new TreeSet<>();
    int rows = model.spec().rows();
    for (int slice = 0; slice < count; slice++) {
      int from = (int) ((long) rows * slice / count);
      int to = (int) ((long) rows * (slice + 1) / count);
      for (int k = 0; k < 8; k++) {
        keys.add(from + random.nextInt(to - from));
      }
    }
    int[] sorted = keys.stream().mapToInt(Integer::intValue).toArray();
    float[] gradient = new float[sorted.length * model.spec().cols()];
    for (int i = 0; i < gradient.length; i++) {
      gradient[i] = (float) random.nextGaussian();
    }
    worker.push(model, sorted, gradient).get();
  }

  private static double[] toDoubles(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }
}
