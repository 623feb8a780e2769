package dev.stratus.kernels.iterate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.Minibatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class MinibatchIteratorTest {
  private static final int FEATURES = 1_000;

  /** Partition p holds rows whose single feature index encodes (p, row), so a batch tells where it came from. */
  private static SparseRow[] partition(int p, int rows) {
    SparseRow[] out = new SparseRow[rows];
    for (int r = 0; r < rows; r++) {
      out[r] = new SparseRow(0, new int[] {p * 100 + r}, new float[] {1});
    }
    return out;
  }

  private static List<Integer> drain(MinibatchIterator it, int maxBatches) throws InterruptedException {
    List<Integer> seen = new ArrayList<>();
    Minibatch batch = new Minibatch();
    for (int b = 0; b < maxBatches && it.next(batch); b++) {
      int[] keys = batch.keys();
      for (int k = 0; k < keys.length - 1; k++) {
        seen.add(keys[k]);
      }
    }
    return seen;
  }

  @Test
  void everyRowOncePerEpochInBatchesThatStayWithinAPartition() throws Exception {
    int[] parts = {0, 1, 2, 3};
    try (MinibatchIterator it =
        MinibatchIterator.over(p -> partition(p, 7), parts).batchSize(3).epochs(2).biasKey(FEATURES).build()) {
      List<Integer> seen = drain(it, Integer.MAX_VALUE);
      assertEquals(56, seen.size());
      assertEquals(2 * 4 * 3, it.batches()); // 7 rows = 3 + 3 + 1 per partition
      assertEquals(28, seen.stream().distinct().count());
    }
  }

  @Test
  void aNewIteratorResumesWhereTheOldOneStopped() throws Exception {
    int[] parts = {0, 1, 2, 3, 4};
    List<Integer> all;
    try (MinibatchIterator it = MinibatchIterator.over(p -> partition(p, 10), parts).batchSize(4).epochs(2).seed(9).build()) {
      all = drain(it, Integer.MAX_VALUE);
    }
    List<Integer> resumed;
    MinibatchIterator.Position stoppedAt;
    try (MinibatchIterator first = MinibatchIterator.over(p -> partition(p, 10), parts).batchSize(4).epochs(2).seed(9).build()) {
      resumed = drain(first, 17);
      stoppedAt = first.position();
    }
    try (MinibatchIterator second =
        MinibatchIterator.over(p -> partition(p, 10), parts).batchSize(4).epochs(2).seed(9).startAt(stoppedAt).build()) {
      resumed.addAll(drain(second, Integer.MAX_VALUE));
    }
    assertEquals(all, resumed);
  }

  @Test
  void decodedPartitionsAheadStayWithinTheByteBudget() throws Exception {
    // Long rows: 300 entries each, 10 rows a partition, about 24.6 KB decoded.
    AtomicInteger fetched = new AtomicInteger();
    MinibatchIterator.PartitionSource longRows = p -> {
      fetched.incrementAndGet();
      SparseRow[] rows = new SparseRow[10];
      for (int r = 0; r < rows.length; r++) {
        int[] idx = new int[300];
        for (int j = 0; j < idx.length; j++) {
          idx[j] = j;
        }
        rows[r] = new SparseRow(0, idx, new float[idx.length]);
      }
      return rows;
    };
    long partitionBytes = 10 * (60 + 8 * 300);
    try (MinibatchIterator it = MinibatchIterator.over(longRows, new int[] {0, 1, 2, 3, 4, 5, 6, 7})
        .batchSize(5).biasKey(FEATURES).prefetchDepth(64).prefetchBudgetBytes(3 * partitionBytes).build()) {
      Minibatch batch = new Minibatch();
      assertTrue(it.next(batch));
      Thread.sleep(300); // time for the prefetcher to run ahead as far as the budget lets it
      // The current partition and two ahead fit in three partitions' bytes; a fourth, decoded (which is how its size
      // is known), waits for room.
      assertEquals(4, fetched.get());
      assertTrue(it.next(batch)); // still the first partition: nothing given back
      Thread.sleep(100);
      assertEquals(4, fetched.get());
      assertTrue(it.next(batch)); // the second partition: the first's bytes let the waiting one in, a fifth waits
      Thread.sleep(300);
      assertEquals(5, fetched.get());
      assertEquals(8 * 10 / 5 - 3, drain(it, Integer.MAX_VALUE).size() / 300);
    }
  }

  @Test
  void aPartitionLargerThanTheWholeBudgetStillGoesAlone() throws Exception {
    try (MinibatchIterator it = MinibatchIterator.over(p -> partition(p, 7), new int[] {0, 1, 2})
        .batchSize(7).biasKey(FEATURES).prefetchBudgetBytes(100).build()) {
      assertEquals(21, drain(it, Integer.MAX_VALUE).size());
    }
  }

  @Test
  void slowStorageShowsAsStallTime() throws Exception {
    try (MinibatchIterator it =
        MinibatchIterator.over(
                p -> {
                  Thread.sleep(50);
                  return partition(p, 2);
                },
                new int[] {0, 1, 2})
            .prefetchDepth(1)
            .build()) {
      drain(it, Integer.MAX_VALUE);
      assertTrue(it.stallNanos() >= 100_000_000L, "stall " + it.stallNanos());
    }
  }

  @Test
  void withoutPrefetchingAPartitionIsFetchedOnlyWhenTheWorkerReachesIt() throws Exception {
    AtomicInteger fetched = new AtomicInteger();
    MinibatchIterator.PartitionSource counting = p -> {
      fetched.incrementAndGet();
      return partition(p, 4);
    };
    Minibatch batch = new Minibatch();
    try (MinibatchIterator ahead = MinibatchIterator.over(counting, new int[] {0, 1, 2}).batchSize(2).build()) {
      assertTrue(ahead.next(batch));
      waitUntil(() -> fetched.get() >= 3);
    }
    fetched.set(0);
    try (MinibatchIterator onDemand =
        MinibatchIterator.over(counting, new int[] {0, 1, 2}).batchSize(2).prefetch(false).build()) {
      Thread.sleep(200);
      assertEquals(0, fetched.get(), "fetched before the first batch was asked for");
      assertTrue(onDemand.next(batch));
      assertTrue(onDemand.next(batch)); // the rest of partition 0
      Thread.sleep(200);
      assertEquals(1, fetched.get(), "fetched ahead of the worker");
      assertTrue(onDemand.next(batch));
      assertEquals(2, fetched.get());
      assertEquals(6, drain(onDemand, Integer.MAX_VALUE).size()); // the rows of partitions 1 and 2 still unread
      assertEquals(3, fetched.get());
    }
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
    while (!condition.getAsBoolean()) {
      Thread.sleep(5);
    }
  }

  @Test
  void aFailedFetchReachesTheWorkerWithItsMessage() throws Exception {
    try (MinibatchIterator it =
        MinibatchIterator.over(
                p -> {
                  if (p == 1) {
                    throw new IllegalStateException("checksum mismatch in part-1");
                  }
                  return partition(p, 2);
                },
                new int[] {0, 1})
            .build()) {
      Minibatch batch = new Minibatch();
      assertTrue(it.next(batch));
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> it.next(batch));
      assertTrue(e.getMessage().contains("checksum mismatch in part-1"));
      assertFalse(it.next(batch));
    }
  }

  @Test
  void aFetchThatFailsWhileTheRingIsFullStillReachesTheWorker() throws Exception {
    CountDownLatch failed = new CountDownLatch(1);
    AtomicInteger fetches = new AtomicInteger();
    Set<Thread> before = prefetchThreads();
    try (MinibatchIterator it =
        MinibatchIterator.over(
                p -> {
                  if (fetches.incrementAndGet() == 3) { // the third partition of the (shuffled) epoch
                    failed.countDown();
                    throw new IllegalStateException("part-" + p + " is gone");
                  }
                  return partition(p, 2);
                },
                new int[] {0, 1, 2})
            .batchSize(1)
            .prefetchDepth(1)
            .build()) {
      Minibatch batch = new Minibatch();
      assertTrue(it.next(batch)); // the first partition taken: the second fills the ring, then the third fails
      assertTrue(failed.await(5, TimeUnit.SECONDS));
      // Let the prefetcher deliver the failure while the second partition still fills the ring.
      Thread prefetcher = prefetchThreads().stream().filter(t -> !before.contains(t)).findFirst().orElseThrow();
      waitUntil(() -> prefetcher.getState() == Thread.State.WAITING || prefetcher.getState() == Thread.State.TERMINATED);
      for (int rest = 0; rest < 3; rest++) { // the first partition's second row, the second partition's two
        assertTrue(it.next(batch));
      }
      IllegalStateException e = assertTimeoutPreemptively(Duration.ofSeconds(5),
          () -> assertThrows(IllegalStateException.class, () -> it.next(batch)), "the failure was lost: next() hangs");
      assertTrue(e.getMessage().contains("is gone"), e.getMessage());
    }
  }

  private static Set<Thread> prefetchThreads() {
    Set<Thread> threads = new HashSet<>(Thread.getAllStackTraces().keySet());
    threads.removeIf(t -> !t.getName().equals("minibatch-prefetch"));
    return threads;
  }
}
