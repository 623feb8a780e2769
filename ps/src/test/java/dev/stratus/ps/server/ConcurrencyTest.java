package dev.stratus.ps.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.ModelStatus;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConcurrencyTest {
  private static final int CLIENTS = 8;
  private static final int THREADS_PER_CLIENT = 2;
  private static final int PUSHES_PER_THREAD = 300;
  private static final int ROWS = 1 << 12;

  @Test
  void concurrentPushesFromManyClientsLoseNoUpdate() throws Exception {
    try (Shards shards = Shards.start(2)) {
      List<PsClient> clients = new ArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(CLIENTS * THREADS_PER_CLIENT);
      try {
        for (int c = 0; c < CLIENTS; c++) {
          clients.add(shards.client(c));
        }
        // SGD at learning rate 1 with gradient -1: each push adds exactly 1 to every key it names (small integers
        // are exact in float), so a lost update shows up as a count that is too low.
        PsModel model = clients.get(0).createModel("sums", ModelSpec.vector(12).learningRate(1f));
        int[][] expected = new int[CLIENTS * THREADS_PER_CLIENT][ROWS];
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < CLIENTS * THREADS_PER_CLIENT; t++) {
          PsClient client = clients.get(t % CLIENTS);
          int[] counts = expected[t];
          long seed = t;
          done.add(pool.submit(() -> {
            Random random = new Random(seed);
            List<CompletableFuture<Void>> inFlight = new ArrayList<>();
            for (int p = 0; p < PUSHES_PER_THREAD; p++) {
              // hot keys (0..63) collide across every thread; the rest spread over both shards
              int[] keys = random.ints(40, 0, random.nextBoolean() ? 64 : ROWS).distinct().sorted().toArray();
              float[] gradient = new float[keys.length];
              java.util.Arrays.fill(gradient, -1f);
              for (int key : keys) {
                counts[key]++;
              }
              inFlight.add(client.push(model, keys, gradient));
              if (inFlight.size() == 8) { // keep a few pushes in flight per thread
                inFlight.remove(0).join();
              }
            }
            inFlight.forEach(CompletableFuture::join);
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get();
        }
        float[] expectedModel = new float[ROWS];
        for (int[] counts : expected) {
          for (int k = 0; k < ROWS; k++) {
            expectedModel[k] += counts[k];
          }
        }
        assertArrayEquals(expectedModel, clients.get(0).pullAll(model).get());
        ModelStatus status = clients.get(0).status(model).get();
        assertEquals((long) CLIENTS * THREADS_PER_CLIENT * PUSHES_PER_THREAD, status.clock());
        for (int c = 0; c < CLIENTS; c++) {
          assertEquals((long) THREADS_PER_CLIENT * PUSHES_PER_THREAD, status.updatesByWorker().get(c));
        }
      } finally {
        pool.shutdownNow();
        clients.forEach(PsClient::close);
      }
    }
  }

  @Test
  void concurrentKeyValueAddsSumExactly() throws Exception {
    try (Shards shards = Shards.start(3)) {
      List<PsClient> clients = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        clients.add(shards.client(c));
      }
      try {
        List<CompletableFuture<float[]>> adds = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
          adds.add(clients.get(i % 4).add("reduce/" + (i % 5), new float[] {1f, 2f, i % 2}));
        }
        CompletableFuture.allOf(adds.toArray(CompletableFuture[]::new)).get();
        for (int k = 0; k < 5; k++) {
          float[] sum = PsTestSupport.floats(clients.get(0).get("reduce/" + k).get());
          assertArrayEquals(new float[] {400f, 800f, 200f}, sum);
        }
      } finally {
        clients.forEach(PsClient::close);
      }
    }
  }
}
