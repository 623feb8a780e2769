package dev.stratus.runner.lambda.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreException;
import dev.stratus.store.StoreSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** An attempt's writes against the embedded store, through the AWS SDK: all land, or a late attempt leaves none. */
class AttemptOutputTest {
  private static final int PARTS = 40; // more than go out at once, and more bytes than may be in flight
  private final ObjectStore store = ObjectStore.of(StoreSpec.embedded(Path.of("target", "attempt-output-test-store")));
  private final S3Path task = S3Path.parse("s3://attempts/" + UUID.randomUUID() + "/task-0/");

  {
    store.ensureBucket("attempts");
  }

  @Test
  void everyWriteHasLandedOnceFinishReturns() {
    S3Path descriptor = task.resolve("descriptor");
    store.put(descriptor, new byte[] {1});
    AttemptOutput output = new AttemptOutput(store, descriptor);
    byte[] big = new byte[3 << 20];
    for (int p = 0; p < PARTS; p++) {
      big[p] = (byte) p;
      output.put(task.resolve("attempt-a/part-" + p), p % 2 == 0 ? big.clone() : bytes("part " + p));
    }
    output.finish();
    for (int p = 0; p < PARTS; p++) {
      byte[] read = store.get(task.resolve("attempt-a/part-" + p));
      if (p % 2 == 0) {
        assertEquals(big.length, read.length, "part " + p);
        assertEquals((byte) p, read[p], "part " + p);
      } else {
        assertArrayEquals(bytes("part " + p), read, "part " + p);
      }
    }
  }

  @Test
  void aLateAttemptWithdrawsEveryWriteAndSaysSo() {
    S3Path descriptor = task.resolve("descriptor"); // never written: the driver committed another attempt
    AttemptOutput output = new AttemptOutput(store, descriptor);
    for (int p = 0; p < PARTS; p++) {
      output.put(task.resolve("attempt-late/part-" + p), bytes("part " + p));
    }
    AttemptOutput.LateAttemptException late = assertThrows(AttemptOutput.LateAttemptException.class, output::finish);
    assertTrue(late.getMessage().contains(PARTS + " object(s)"), late.getMessage());
    assertEquals(List.of(), store.list(task.resolve("attempt-late/")));
  }

  @Test
  void aWriteThatFailsFailsTheAttemptWithTheStoresError() {
    S3Path descriptor = task.resolve("descriptor");
    store.put(descriptor, new byte[] {1});
    AttemptOutput output = new AttemptOutput(store, descriptor);
    output.put(task.resolve("attempt-b/part-0"), bytes("fine"));
    output.put(S3Path.parse("s3://no-such-bucket-" + UUID.randomUUID() + "/part-1"), bytes("nowhere"));
    StoreException failed = assertThrows(StoreException.class, output::finish);
    assertTrue(failed.getMessage().contains("no-such-bucket"), failed.getMessage());
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
