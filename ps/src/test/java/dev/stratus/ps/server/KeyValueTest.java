package dev.stratus.ps.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.PsException;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KeyValueTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void putGetMultiGetDeleteAndListAcrossShards() throws Exception {
    try (Shards shards = Shards.start(3); PsClient writer = shards.client(1); PsClient reader = shards.client(2)) {
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        keys.add("job/epoch-" + i);
        writer.put("job/epoch-" + i, utf8("value " + i)).get();
      }
      writer.put("other/x", new byte[0]).get();
      assertArrayEquals(utf8("value 7"), reader.get("job/epoch-7").get());
      assertNull(reader.get("job/missing").get());
      // the keys landed on more than one shard, and list merges them all, sorted
      long shardsUsed = shards.servers.stream().filter(s -> s.metrics().requests() > 3).count();
      assertTrue(shardsUsed >= 2, "keys spread over " + shardsUsed + " shards");
      List<String> sorted = new ArrayList<>(keys);
      sorted.sort(null);
      assertEquals(sorted, reader.list("job/").get());

      List<String> asked = List.of("job/epoch-3", "job/none", "other/x", "job/epoch-29");
      List<byte[]> values = reader.multiGet(asked).get();
      assertArrayEquals(utf8("value 3"), values.get(0));
      assertNull(values.get(1));
      assertArrayEquals(new byte[0], values.get(2));
      assertArrayEquals(utf8("value 29"), values.get(3));

      writer.put("job/epoch-3", utf8("replaced")).get();
      assertArrayEquals(utf8("replaced"), reader.get("job/epoch-3").get());
      assertTrue(writer.delete("job/epoch-3").get());
      assertFalse(writer.delete("job/epoch-3").get());
      assertNull(reader.get("job/epoch-3").get());
      assertEquals(29, reader.list("job/").get().size());
    }
  }

  @Test
  void addReducesFloatVectorsAndTheStoreIsBounded() throws Exception {
    try (Shards shards = Shards.start(1, ShardConfig.of(Shards.SECRET).kvMaxBytes(1000));
        PsClient ps = shards.client()) {
      assertArrayEquals(new float[] {1, 2}, ps.add("loss", new float[] {1, 2}).get());
      assertArrayEquals(new float[] {1.5f, 4}, ps.add("loss", new float[] {0.5f, 2}).get());
      assertArrayEquals(new float[] {1.5f, 4}, PsTestSupport.floats(ps.get("loss").get()));
      Throwable full = ps.put("big", new byte[2000]).handle((v, e) -> e).get();
      assertTrue(full instanceof PsException && full.getMessage().contains("is full"), String.valueOf(full));
      ps.put("small", new byte[500]).get();
      assertTrue(ps.delete("small").get());
      ps.put("small-again", new byte[700]).get(); // deleting gave the space back
    }
  }

  @Test
  void keysCountTowardTheCapAndModelsHaveABudget() throws Exception {
    long kvCap = 1 << 20;
    ShardConfig config = ShardConfig.of(Shards.SECRET).kvMaxBytes(kvCap)
        .limits(ShardConfig.Limits.DEFAULT.modelsMaxBytes(4 << 20));
    try (Shards shards = Shards.start(1, config); PsClient ps = shards.client()) {
      // empty values under long keys: only the keys take memory, and they fill the store
      String padding = "k".repeat(1000);
      int stored = 0;
      Throwable full = null;
      while (full == null && stored < 10_000) {
        full = ps.put(padding + stored, new byte[0]).handle((v, e) -> e).get();
        if (full == null) {
          stored++;
        }
      }
      assertTrue(full instanceof PsException && full.getMessage().contains("keys and values counted"),
          String.valueOf(full));
      long perKey = KvStore.entryBytes(padding + stored, 0);
      assertTrue(stored <= kvCap / (2 * 1000) && stored >= kvCap / perKey - 1,
          stored + " keys of about " + perKey + " bytes fit in " + kvCap);
      assertTrue(ps.delete(padding + 0).get());
      ps.put(padding + 0, new byte[0]).get(); // a deleted key gave its bytes back

      // many models: each costs its floats plus an overhead, and together they stay within the budget
      int created = 0;
      Throwable budget = null;
      while (budget == null && created < 10_000) {
        try {
          ps.createModel("m" + created, ModelSpec.vector(14)); // 64 KiB of floats
          created++;
        } catch (PsException e) {
          budget = e;
        }
      }
      assertTrue(budget != null && budget.getMessage().contains("--models-max-bytes"), String.valueOf(budget));
      long perModel = (4L << 14) + ModelRegistry.OVERHEAD_BYTES;
      assertEquals((4L << 20) / perModel, created);
      // the shard still serves everyone
      PsModel first = ps.createModel("m0", ModelSpec.vector(14));
      ps.push(first, new int[] {1}, new float[] {-1}).get();
      assertEquals(1, ps.pull(first, new int[] {1}).get().length);
      assertEquals(created, ps.metrics().get().get(0).models());

      // a deleted model gives its budget back, and requests naming it fail instead of reaching another model
      assertTrue(ps.deleteModel("m0").get());
      assertFalse(ps.deleteModel("m0").get());
      PsException gone = assertThrows(PsException.class, () -> {
        try {
          ps.pull(first, new int[] {1}).get();
        } catch (java.util.concurrent.ExecutionException e) {
          throw e.getCause();
        }
      });
      assertTrue(gone.getMessage().contains("was deleted"), gone.getMessage());
      ps.createModel("one-more", ModelSpec.vector(14));
      assertEquals(created, ps.metrics().get().get(0).models());
    }
  }

  @Test
  void aWaitIsAnsweredWhenTheKeyChangesAndNotBefore() throws Exception {
    try (Shards shards = Shards.start(2); PsClient watcher = shards.client(1); PsClient writer = shards.client(2)) {
      // a value other than the one seen: answered at once
      writer.put("round", utf8("1")).get();
      assertArrayEquals(utf8("1"), watcher.awaitChange("round", null, 30_000).get(5, TimeUnit.SECONDS));
      assertArrayEquals(utf8("1"), watcher.awaitChange("round", utf8("0"), 30_000).get(5, TimeUnit.SECONDS));

      // the value seen: held until another client writes it, then answered with the new one
      CompletableFuture<byte[]> next = watcher.awaitChange("round", utf8("1"), 30_000);
      CompletableFuture<byte[]> gone = watcher.awaitChange("round", utf8("1"), 30_000);
      CompletableFuture<byte[]> absent = watcher.awaitChange("missing", null, 30_000);
      Thread.sleep(300);
      assertFalse(next.isDone() || gone.isDone() || absent.isDone(), "answered before any change");
      long written = System.nanoTime();
      writer.put("round", utf8("2")).get();
      assertArrayEquals(utf8("2"), next.get(5, TimeUnit.SECONDS));
      assertArrayEquals(utf8("2"), gone.get(5, TimeUnit.SECONDS));
      assertTrue(System.nanoTime() - written < TimeUnit.SECONDS.toNanos(5));
      writer.add("missing", new float[] {1}).get();
      assertArrayEquals(new float[] {1}, PsTestSupport.floats(absent.get(5, TimeUnit.SECONDS)));

      // a delete answers with absence
      CompletableFuture<byte[]> deleted = watcher.awaitChange("round", utf8("2"), 30_000);
      assertTrue(writer.delete("round").get());
      assertNull(deleted.get(5, TimeUnit.SECONDS));

      // no change within the wait: answered with the value as it is when the wait is up
      long asked = System.nanoTime();
      assertNull(watcher.awaitChange("round", null, 200).get(5, TimeUnit.SECONDS));
      assertTrue(System.nanoTime() - asked >= TimeUnit.MILLISECONDS.toNanos(200));

      // a wait out of range is refused, naming the range
      Throwable refused = watcher.awaitChange("round", null, 120_000).handle((v, e) -> e).get(5, TimeUnit.SECONDS);
      assertTrue(refused instanceof PsException && refused.getMessage().contains("waits are 0 to 60000 ms"),
          String.valueOf(refused));
    }
  }

  @Test
  void waitsAreBoundedPerConnectionAndEndWithIt() throws Exception {
    try (Shards shards = Shards.start(1); PsClient writer = shards.client(2)) {
      PsServer shard = shards.servers.get(0);
      try (PsClient watcher = shards.client(1)) {
        List<CompletableFuture<byte[]>> held = new ArrayList<>();
        for (int i = 0; i < ServerConnection.MAX_AWAITS; i++) {
          held.add(watcher.awaitChange("key-" + i, null, 60_000));
        }
        Throwable refused = watcher.awaitChange("one-more", null, 60_000).handle((v, e) -> e).get(5, TimeUnit.SECONDS);
        assertTrue(refused instanceof PsException && refused.getMessage().contains("waits on 1024 keys already"),
            String.valueOf(refused));
        assertEquals(ServerConnection.MAX_AWAITS, shard.keysWatched());
        writer.put("key-7", utf8("v")).get(5, TimeUnit.SECONDS);
        assertArrayEquals(utf8("v"), held.get(7).get(5, TimeUnit.SECONDS));
        assertEquals(ServerConnection.MAX_AWAITS - 1, shard.keysWatched());
      }
      // the closed connection's waits are forgotten, not left for a write to find
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (shard.keysWatched() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(0, shard.keysWatched());
      // and so is one whose wait ran out
      assertNull(writer.awaitChange("key-1", null, 50).get(5, TimeUnit.SECONDS));
      assertEquals(0, shard.keysWatched());
    }
  }
}
