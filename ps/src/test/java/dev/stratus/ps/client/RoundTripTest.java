package dev.stratus.ps.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.ModelStatus;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.PsException;
import dev.stratus.ps.ShardMetrics;
import dev.stratus.ps.WireValues;
import dev.stratus.ps.server.Shards;
import dev.stratus.ps.wire.Half;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RoundTripTest {

  @Test
  void pushThenPullAcrossThreeShardsSlicesKeysByRange() throws Exception {
    try (Shards shards = Shards.start(3); PsClient ps = shards.client()) {
      // SGD at learning rate 1: a pushed gradient g moves a weight by -g, so every value is predictable.
      PsModel model = ps.createModel("slices", ModelSpec.vector(10).learningRate(1f));
      // 1024 rows over 3 shards: [0, 341), [341, 682), [682, 1024); these keys straddle both boundaries.
      int[] keys = {0, 1, 340, 341, 342, 681, 682, 1000, 1023};
      float[] gradient = new float[keys.length];
      for (int i = 0; i < keys.length; i++) {
        gradient[i] = -(keys[i] + 0.5f);
      }
      ps.push(model, keys, gradient).get();

      float[] pulled = ps.pull(model, keys).get();
      for (int i = 0; i < keys.length; i++) {
        assertEquals(keys[i] + 0.5f, pulled[i], "key " + keys[i]);
      }
      float[] all = ps.pullAll(model).get();
      assertEquals(1024, all.length);
      float expectedSum = 0;
      for (int i = 0; i < 1024; i++) {
        int found = java.util.Arrays.binarySearch(keys, i);
        assertEquals(found >= 0 ? i + 0.5f : 0f, all[i], "row " + i);
        expectedSum += found >= 0 ? i + 0.5f : 0f;
      }
      assertTrue(expectedSum > 0);
      // each shard holds only its slice: the first shard's metrics count the rows it updated
      assertEquals(3, shards.servers.get(0).metrics().keysUpdated());
      assertEquals(3, shards.servers.get(1).metrics().keysUpdated());
      assertEquals(3, shards.servers.get(2).metrics().keysUpdated());
      assertArrayEquals(new float[0], ps.pull(model, new int[0]).get());
    }
  }

  @Test
  void shardsNamedButNotResolvedAreLookedUpWhereTheyAreDialled() throws Exception {
    try (Shards shards = Shards.start(2)) {
      // As --psEndpoints and a worker's task give them: host names, resolved by whoever dials.
      List<InetSocketAddress> named = shards.addresses().stream()
          .map(a -> InetSocketAddress.createUnresolved("localhost", a.getPort()))
          .toList();
      try (PsClient ps = PsClient.connect(named, Shards.SECRET)) {
        PsModel model = ps.createModel("named", ModelSpec.vector(6).optimizer(Optimizer.SGD).learningRate(1f));
        ps.push(model, new int[] {0, 5}, new float[] {-2, -3}).get();
        assertArrayEquals(new float[] {2, 3}, ps.pull(model, new int[] {0, 5}).get());
      }
    }
  }

  @Test
  void anAllRowsPenaltyReachesTheRowsNoPushTouchedWhereATouchedRowsPenaltyDoesNotAndEitherMayChange() throws Exception {
    try (Shards shards = Shards.start(1); PsClient ps = shards.client()) {
      for (boolean allRows : new boolean[] {true, false}) {
        ModelSpec spec = ModelSpec.vector(3).learningRate(0.5f).l2(0.1f).l2AllRows(allRows);
        PsModel model = ps.createModel("penalty-" + allRows, spec);
        ps.push(model, new int[] {0, 5}, new float[] {-1, -1}).get(); // both rows at 0.5
        for (int push = 0; push < 3; push++) {
          ps.push(model, new int[] {0}, new float[] {0}).get(); // row 0 only: its penalty alone
        }
        float[] read = ps.pullAll(model).get();
        // a touched row's penalty: a proximal step on every row, a gradient step on the touched ones
        float touched = (float) (allRows ? 0.5 / Math.pow(1.05, 3) : 0.5 * Math.pow(0.95, 3));
        assertEquals(touched, read[0], 1e-6f, "row 0 took the penalty of every push that touched it");
        // row 5 missed three pushes: on every row, one proximal step of three pushes' penalty, 0.5 / (1 + 0.5 * 0.1 * 3)
        assertEquals(allRows ? 0.5f / 1.15f : 0.5f, read[5], 1e-6f, "allRows " + allRows);
        ps.push(model, new int[] {5}, new float[] {0}).get(); // row 5 takes what it missed, and this push's
        assertEquals(allRows ? 0.5f / 1.2f : 0.5f * 0.95f, ps.pullAll(model).get()[5], 1e-6f, "allRows " + allRows);
        ps.setL2(model, 0.2f, false).get(); // from the next push on: row 5 takes its missed push at the new penalty
        ps.push(model, new int[] {0}, new float[] {0}).get();
        ps.push(model, new int[] {5}, new float[] {0}).get();
        float before = allRows ? 0.5f / 1.2f : 0.5f * 0.95f;
        assertEquals(allRows ? before / 1.2f : before * 0.9f, ps.pullAll(model).get()[5], 1e-6f, "allRows " + allRows);
      }
    }
  }

  @Test
  void aNewPenaltyComesAfterTheRowsTookWhatTheyMissedAtTheOldOne() throws Exception {
    try (Shards shards = Shards.start(1); PsClient ps = shards.client()) {
      PsModel model = ps.createModel("settled", ModelSpec.vector(3).learningRate(0.5f).l2(0.1f).l2AllRows(true));
      ps.push(model, new int[] {0, 5}, new float[] {-1, -1}).get(); // both rows at 0.5
      for (int push = 0; push < 3; push++) {
        ps.push(model, new int[] {0}, new float[] {0}).get(); // row 5 misses three pushes at l2 0.1
      }
      ps.setL2(model, 1f, false).get();
      assertEquals(0.5f / 1.15f, ps.pullAll(model).get()[5], 1e-6f, "the three missed pushes at 0.1, not at 1");
    }
  }

  /**
   * Under an L1 penalty a value is AdaGrad's dual average: zero while its mean gradient over the pushes stays within
   * the penalty, the rows no push touched included, and so on every read (a worker's pull, the whole model).
   */
  @Test
  void anL1PenaltyKeepsAValueAtZeroWhileItsMeanGradientIsWithinThePenalty() throws Exception {
    try (Shards shards = Shards.start(2); PsClient ps = shards.client()) {
      ModelSpec spec = ModelSpec.vector(3).optimizer(Optimizer.ADAGRAD).learningRate(0.5f).l2AllRows(true).l1(0.3f);
      PsModel model = ps.createModel("sparse", spec);
      ps.push(model, new int[] {1, 6}, new float[] {-1f, -0.2f}).get();
      float[] once = ps.pullAll(model).get();
      assertEquals(0.5f * (1 - 0.3f), once[1], 1e-6f, "a mean gradient of 1 beyond 0.3: the step less the penalty's");
      assertEquals(0f, once[6], "a mean gradient of 0.2 within 0.3");
      untouched(ps, model);
      assertEquals(0.5f * (1 - 2 * 0.3f), ps.pullAll(model).get()[1], 1e-6f,
          "a push on its shard that left row 1 untouched: the penalty of two pushes against its gradient sum");
      untouched(ps, model);
      untouched(ps, model);
      float[] later = ps.pullAll(model).get();
      assertEquals(0f, later[1], "four pushes' penalty outweighs its gradient sum: zero again, untouched");
      assertEquals(0f, later[6]);
      assertArrayEquals(new float[] {later[1], later[6]}, ps.pull(model, new int[] {1, 6}).get(), "a pull agrees");
      assertThrows(IllegalArgumentException.class, () -> ModelSpec.vector(3).l2AllRows(true).l1(0.1f),
          "L1 needs AdaGrad");
    }
  }

  /** A push to each of the two shards that touches neither row 1 nor row 6. */
  private static void untouched(PsClient ps, PsModel model) throws Exception {
    ps.push(model, new int[] {0}, new float[] {0}).get();
    ps.push(model, new int[] {7}, new float[] {0}).get();
  }

  @Test
  void freshRatesStartAdaGradsSumsAgain() throws Exception {
    try (Shards shards = Shards.start(2); PsClient ps = shards.client()) {
      PsModel model = ps.createModel("fresh", ModelSpec.vector(3).optimizer(Optimizer.ADAGRAD).learningRate(0.5f));
      int[] keys = {1, 6};
      for (int push = 0; push < 3; push++) {
        ps.push(model, keys, new float[] {1, 1}).get(); // steps of 0.5, 0.5 / sqrt(2), 0.5 / sqrt(3)
      }
      float before = ps.pullAll(model).get()[1];
      ps.setL2(model, 0f, true).get();
      ps.push(model, keys, new float[] {1, 1}).get();
      float[] after = ps.pullAll(model).get();
      assertEquals(before - 0.5f, after[1], 1e-6f, "a step as large as a new model's first");
      assertEquals(after[1], after[6], 1e-6f, "on every shard");
    }
  }

  @Test
  void matrixRowsRoundTripWithEveryOptimizer() throws Exception {
    try (Shards shards = Shards.start(2); PsClient ps = shards.client()) {
      Random random = new Random(7);
      for (Optimizer optimizer : Optimizer.values()) {
        ModelSpec spec = ModelSpec.matrix(100, 4).optimizer(optimizer).learningRate(0.5f).l2(0.1f).momentum(0.9f);
        PsModel model = ps.createModel("m-" + optimizer, spec);
        int[] keys = {2, 49, 50, 99};
        float[] expected = new float[400];
        float[] state = new float[400];
        for (int step = 0; step < 3; step++) {
          float[] gradient = new float[keys.length * 4];
          for (int i = 0; i < gradient.length; i++) {
            gradient[i] = random.nextFloat() - 0.5f;
          }
          ps.push(model, keys, gradient).get();
          for (int k = 0; k < keys.length; k++) {
            for (int c = 0; c < 4; c++) {
              int j = keys[k] * 4 + c;
              float g = gradient[k * 4 + c] + 0.1f * expected[j];
              switch (optimizer) {
                case SGD -> expected[j] -= 0.5f * g;
                case ADAGRAD -> {
                  state[j] += g * g;
                  expected[j] -= 0.5f * g / ((float) Math.sqrt(state[j]) + 1e-8f);
                }
                case MOMENTUM -> {
                  state[j] = 0.9f * state[j] + g;
                  expected[j] -= 0.5f * state[j];
                }
              }
            }
          }
        }
        assertArrayEquals(expected, ps.pullAll(model).get(), 1e-6f, optimizer.name());
        float[] rows = ps.pull(model, new int[] {49, 50}).get();
        assertArrayEquals(java.util.Arrays.copyOfRange(expected, 49 * 4, 51 * 4), rows, 1e-6f);
      }
    }
  }

  /**
   * A model with an initScale starts at small values, uniform around 0, that depend on the position alone: the same
   * whether one shard holds the model or two share it, and the same that {@link ModelSpec#initialValue} gives.
   */
  @Test
  void aModelWithAnInitScaleStartsAtTheSameSmallRandomValuesHoweverSliced() throws Exception {
    try (Shards shards = Shards.start(2); PsClient two = shards.client();
        PsClient one = PsClient.connect(shards.addresses().subList(1, 2), Shards.SECRET)) {
      ModelSpec spec = ModelSpec.matrix(1000, 8).initScale(0.1f);
      float[] split = two.pullAll(two.createModel("factors", spec)).get();
      float[] whole = one.pullAll(one.createModel("factors-on-one-shard", spec)).get();
      assertArrayEquals(whole, split);
      double sum = 0;
      for (int i = 0; i < split.length; i++) {
        assertEquals(spec.initialValue(i), split[i], "position " + i);
        assertTrue(split[i] >= -0.1f && split[i] <= 0.1f, "position " + i + ": " + split[i]);
        sum += split[i];
      }
      assertNotEquals(split[0], split[1], "not all equal");
      assertEquals(0, sum / split.length, 0.01, "mean");
      PsException other = assertThrows(PsException.class, () -> two.createModel("factors", spec.initScale(0.2f)));
      assertTrue(other.getMessage().contains("already exists"), other.getMessage());
      assertArrayEquals(new float[8000], two.pullAll(two.createModel("zeros", ModelSpec.matrix(1000, 8))).get());
    }
  }

  @Test
  void clockAndPerWorkerCountsCountLogicalPushesOnce() throws Exception {
    try (Shards shards = Shards.start(2); PsClient a = shards.client(7); PsClient b = shards.client(8)) {
      PsModel model = a.createModel("clock", ModelSpec.vector(8));
      PsModel same = b.createModel("clock", ModelSpec.vector(8)); // found, not re-created
      int[] spanning = {1, 200}; // one key on each shard
      for (int i = 0; i < 5; i++) {
        a.push(model, spanning, new float[2]).get();
      }
      for (int i = 0; i < 3; i++) {
        b.push(same, new int[] {3}, new float[1]).get();
      }
      ModelStatus status = a.status(model).get();
      assertEquals(8, status.clock());
      assertEquals(Map.of(7, 5L, 8, 3L), status.updatesByWorker());
      assertThrows(PsException.class, () -> a.createModel("clock", ModelSpec.vector(9)));
    }
  }

  /**
   * A client sending halves: its pushes land as the nearest halves of its gradients on float32 weights, its pulls
   * return the nearest halves of the weights, each value in two bytes, across shards and in a matrix; a whole-model
   * pull stays exact.
   */
  @Test
  void halfPrecisionValuesTakeTwoBytesAndLandAsTheirNearestHalves() throws Exception {
    try (Shards shards = Shards.start(2); PsClient ps = shards.client()) {
      PsModel model = ps.createModel("halves", ModelSpec.matrix(1000, 3).learningRate(1f));
      int[] keys = {3, 499, 500, 998};
      float[] gradient = {-1.0001f, -0.1f, -3e-5f, 7f, -65000f, 0.333333f, -1e-8f, 2.5f, -0.5f, 1f, 1f, -1f};
      long sentBefore = ps.bytesSent();
      ps.push(model, keys, gradient).get();
      long floatPush = ps.bytesSent() - sentBefore;
      float[] exact = ps.pullAll(model).get();
      ps.wireValues(WireValues.FLOAT16);
      sentBefore = ps.bytesSent();
      ps.push(model, keys, gradient).get();
      long halfPush = ps.bytesSent() - sentBefore;
      float[] afterHalfPush = ps.pullAll(model).get();
      long receivedBefore = ps.bytesReceived();
      float[] pulled = ps.pull(model, keys).get();
      long halfPullReply = ps.bytesReceived() - receivedBefore;
      ps.wireValues(WireValues.FLOAT32);
      receivedBefore = ps.bytesReceived();
      ps.pull(model, keys).get();
      long floatPullReply = ps.bytesReceived() - receivedBefore;

      for (int i = 0; i < keys.length * 3; i++) {
        float weight = exact[keys[i / 3] * 3 + i % 3];
        assertEquals(-gradient[i], weight, "the float32 push, exactly");
        float landed = Half.toFloat(Half.fromFloat(gradient[i]));
        assertEquals(weight - landed, afterHalfPush[keys[i / 3] * 3 + i % 3], "value " + i + " pushed as a half");
        assertEquals(Half.toFloat(Half.fromFloat(afterHalfPush[keys[i / 3] * 3 + i % 3])), pulled[i],
            "value " + i + " pulled as a half");
      }
      assertEquals(2 * gradient.length, floatPush - halfPush, "two bytes saved per value pushed");
      assertEquals(2 * gradient.length, floatPullReply - halfPullReply, "and per value pulled");
    }
  }

  /**
   * A push for the keys a recent pull asked for names that pull instead of sending the keys: fewer bytes, the same
   * update, whether the caller passes the same array or an equal one; keys not among the last pulls go in full.
   */
  @Test
  void aPushForTheKeysJustPulledNamesThePullInsteadOfSendingThem() throws Exception {
    try (Shards shards = Shards.start(2); PsClient ps = shards.client()) {
      PsModel model = ps.createModel("named", ModelSpec.vector(20).learningRate(1f));
      int[] keys = new int[300];
      for (int i = 0; i < keys.length; i++) {
        keys[i] = 7 + 3000 * i; // on both shards, two bytes a key on the wire
      }
      float[] gradient = new float[keys.length];
      java.util.Arrays.fill(gradient, -1);

      long before = ps.bytesSent();
      ps.push(model, keys, gradient).get(); // not pulled: the keys go with it
      long withKeys = ps.bytesSent() - before;
      ps.pull(model, keys).get();
      before = ps.bytesSent();
      ps.push(model, keys.clone(), gradient).get(); // an equal array names the pull
      long named = ps.bytesSent() - before;
      assertTrue(named < withKeys - 500, "a push naming the pull sent " + named + " bytes, one with keys " + withKeys);

      for (int other = 1; other <= 4; other++) { // four pulls of other keys, on each shard, push it out
        ps.pull(model, new int[] {other, 1_000_000 + other}).get();
      }
      before = ps.bytesSent();
      ps.push(model, keys, gradient).get();
      assertEquals(withKeys, ps.bytesSent() - before, "keys no longer among the last pulls go in full");

      float[] weights = ps.pull(model, keys).get();
      for (int i = 0; i < keys.length; i++) {
        assertEquals(3f, weights[i], "key " + keys[i] + ": three pushes of -1, however sent");
      }
      assertEquals(0f, ps.pull(model, new int[] {8}).get()[0]);
    }
  }

  @Test
  void largeRepliesAreLz4CompressedOnTheWire() throws Exception {
    try (Shards shards = Shards.start(1); PsClient ps = shards.client()) {
      PsModel model = ps.createModel("zeros", ModelSpec.vector(20));
      long before = ps.bytesReceived();
      float[] all = ps.pullAll(model).get();
      assertEquals(1 << 20, all.length);
      long received = ps.bytesReceived() - before;
      assertTrue(received < (4 << 20) / 50, "4 MiB of zeros took " + received + " bytes");
    }
  }

  @Test
  void metricsCountUpdatesBytesAndConnections() throws Exception {
    try (Shards shards = Shards.start(2); PsClient ps = shards.client()) {
      PsModel model = ps.createModel("metrics", ModelSpec.vector(12));
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2200);
      int pushes = 0;
      while (System.nanoTime() < end) {
        ps.push(model, new int[] {5, 4000}, new float[] {1, 1}).get();
        pushes++;
      }
      var metrics = ps.metrics().get();
      assertEquals(2, metrics.size());
      for (int s = 0; s < 2; s++) {
        ShardMetrics m = metrics.get(s);
        assertEquals(s, m.shard());
        assertEquals(pushes, m.updates());
        assertTrue(m.updatesPerSecond() > 0, "updates/s " + m.updatesPerSecond());
        assertTrue(m.bytesIn() > pushes * 20L && m.bytesOut() > pushes * 10L, m.toString());
        assertEquals(1, m.connections());
        assertEquals(1, m.queueDepth()); // the METRICS request itself is being answered
        assertEquals(1, m.models());
      }
    }
  }
}
