package dev.stratus.runner.lambda.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SortedRunsTest {
  @Test
  void mergesSpilledRunsAndTheRestIntoOneOrderWithEveryEntry() throws IOException {
    Random random = new Random(3);
    List<byte[]> expectedKeys = new ArrayList<>();
    long elementSum = 0;
    try (SortedRuns runs = new SortedRuns(10_000)) {
      for (int i = 0; i < 5_000; i++) {
        byte[] key = new byte[1 + random.nextInt(6)];
        random.nextBytes(key); // negative bytes too: the order is unsigned
        runs.add(key, ByteBuffer.allocate(4).putInt(i).array());
        expectedKeys.add(key);
        elementSum += i;
      }
      assertTrue(runs.spilledRuns() > 10, "spilled " + runs.spilledRuns() + " runs");

      expectedKeys.sort(Arrays::compareUnsigned);
      Iterator<SortedRuns.Entry> merged = runs.merged();
      long seenSum = 0;
      for (byte[] expected : expectedKeys) {
        SortedRuns.Entry entry = merged.next();
        assertArrayEquals(expected, entry.key());
        seenSum += ByteBuffer.wrap(entry.element()).getInt();
      }
      assertTrue(!merged.hasNext(), "no entry beyond those added");
      assertEquals(elementSum, seenSum, "every element came back once");
    }
  }
}
