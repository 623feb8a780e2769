package dev.stratus.ps.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.ShardMetrics;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A shard's metrics say how busy its event loops are: the CPU time they used, which grows with the requests they
 * serve and not while they idle, against the cores they can use. A driver reads it to tell saturated shards.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoopLoadTest {

  @Test
  void theLoopsCpuTimeGrowsWithTheRequestsServedAndNotWhileIdle() throws Exception {
    int loops = 2;
    ShardConfig config = ShardConfig.of(Shards.SECRET).limits(ShardConfig.Limits.DEFAULT.ioThreads(loops));
    try (Shards shards = Shards.start(1, config); PsClient ps = shards.client()) {
      PsModel model = ps.createModel("load", ModelSpec.vector(16).learningRate(0.1f));
      int[] keys = new int[600];
      float[] gradient = new float[keys.length];
      for (int k = 0; k < keys.length; k++) {
        keys[k] = k * 97;
        gradient[k] = 0.01f;
      }
      ps.push(model, keys, gradient).get(); // the loop that serves this connection has started
      ShardMetrics before = ps.metrics().get().get(0);
      assertEquals(Math.min(loops, Runtime.getRuntime().availableProcessors()), before.loopCores());

      Thread.sleep(500);
      ShardMetrics idle = ps.metrics().get().get(0);
      double idleSeconds = (idle.loopCpuNanos() - before.loopCpuNanos()) / 1e9;
      assertTrue(idleSeconds < 0.1, "an idle shard's loops used " + idleSeconds + " CPU s in 0.5 s");

      long start = System.nanoTime();
      List<Thread> clients = new ArrayList<>();
      for (int c = 0; c < 2; c++) {
        Thread client = new Thread(() -> {
          try {
            while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2)) {
              ps.pull(model, keys).get();
              ps.push(model, keys, gradient).get();
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        client.start();
        clients.add(client);
      }
      for (Thread client : clients) {
        client.join();
      }
      double wall = (System.nanoTime() - start) / 1e9;
      ShardMetrics busy = ps.metrics().get().get(0);
      double busySeconds = (busy.loopCpuNanos() - idle.loopCpuNanos()) / 1e9;
      long served = busy.requests() - idle.requests();
      System.out.printf("%,d requests in %.2f s took the loops %.2f CPU s (%.0f%% of their %d cores)%n", served,
          wall, busySeconds, 100 * busySeconds / (wall * busy.loopCores()), busy.loopCores());
      assertTrue(served > 1_000, "the clients made " + served + " requests");
      assertTrue(busySeconds > 10 * idleSeconds && busySeconds > 0.05,
          "serving took the loops " + busySeconds + " CPU s, idling " + idleSeconds);
      assertTrue(busySeconds <= wall * busy.loopCores() * 1.05,
          busySeconds + " CPU s in " + wall + " s on " + busy.loopCores() + " cores");
    }
  }
}
