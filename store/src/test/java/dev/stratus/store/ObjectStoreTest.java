package dev.stratus.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Talks to the embedded s3proxy through the real SDK client. */
class ObjectStoreTest {
  @TempDir static Path dir;
  static EmbeddedS3Server server;
  static ObjectStore store;

  @BeforeAll
  static void start() {
    server = EmbeddedS3Server.start(dir);
    store = ObjectStore.of(server.spec());
    store.ensureBucket("data");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void roundTripsLargeObjectsByteExactAndListsByPrefix() {
    byte[] big = new byte[12 << 20];
    new Random(7).nextBytes(big);
    store.put(new S3Path("data", "a/big.bin"), big);
    store.put(new S3Path("data", "a/small.txt"), "hi".getBytes(StandardCharsets.UTF_8));
    store.put(new S3Path("data", "b/other"), new byte[1]);

    assertArrayEquals(big, store.get(new S3Path("data", "a/big.bin")));
    List<ObjectStore.ObjectInfo> listed = store.list(S3Path.parse("s3://data/a/"));
    assertEquals(List.of("a/big.bin", "a/small.txt"), listed.stream().map(o -> o.path().key()).toList());
    assertEquals(big.length, listed.get(0).size());

    store.deleteAll(S3Path.parse("s3://data/a/"));
    assertTrue(store.list(S3Path.parse("s3://data/a/")).isEmpty());
    assertTrue(store.exists(S3Path.parse("s3://data/b/other")));
  }

  @Test
  void countsTheTimeSpentInCallsAndInReadingTheirStreams() throws Exception {
    byte[] data = new byte[4 << 20];
    new Random(3).nextBytes(data);
    S3Path path = new S3Path("data", "timed/object");
    long before = ObjectStore.waitedNanos();
    long callStart = System.nanoTime();
    store.put(path, data);
    long putNanos = System.nanoTime() - callStart;
    long afterPut = ObjectStore.waitedNanos();
    assertTrue(afterPut - before > 0 && afterPut - before <= putNanos, "the put's time, at most its wall time");

    byte[] read;
    try (InputStream in = store.openFrom(path, 1 << 20)) {
      long afterOpen = ObjectStore.waitedNanos();
      read = in.readAllBytes();
      assertTrue(ObjectStore.waitedNanos() > afterOpen, "reading the opened stream counts too");
    }
    assertArrayEquals(Arrays.copyOfRange(data, 1 << 20, data.length), read);
  }

  @Test
  void dataOutlivesTheServer() throws Exception {
    Path own = Files.createTempDirectory("outlive");
    try (EmbeddedS3Server first = EmbeddedS3Server.start(own)) {
      ObjectStore s = ObjectStore.of(first.spec());
      s.ensureBucket("keep");
      s.put(S3Path.parse("s3://keep/x"), new byte[] {1, 2, 3});
    }
    try (EmbeddedS3Server second = EmbeddedS3Server.start(own)) {
      assertArrayEquals(new byte[] {1, 2, 3}, ObjectStore.of(second.spec()).get(S3Path.parse("s3://keep/x")));
    }
  }

  @Test
  void missingObjectAndBucketGiveOneClearMessage() {
    StoreException.NotFound key =
        assertThrows(StoreException.NotFound.class, () -> store.get(S3Path.parse("s3://data/nope")));
    assertTrue(key.getMessage().contains("s3://data/nope"), key.getMessage());
    assertFalse(store.exists(S3Path.parse("s3://data/nope")));

    StoreException.NotFound bucket =
        assertThrows(StoreException.NotFound.class, () -> store.get(S3Path.parse("s3://no-such-bucket/k")));
    assertTrue(bucket.getMessage().contains("bucket does not exist"), bucket.getMessage());
    assertFalse(store.bucketExists("no-such-bucket"));
  }

  @Test
  void wrongSecretIsAccessDenied() {
    StoreSpec wrong = StoreSpec.endpoint(server.endpoint(), "us-east-1", server.spec().accessKey(), "wrong");
    StoreException e =
        assertThrows(StoreException.class, () -> ObjectStore.of(wrong).get(S3Path.parse("s3://data/x")));
    assertTrue(e.getMessage().contains("access denied"), e.getMessage());
  }

  @Test
  void everyStartMakesCredentialsOfItsOwnUnlessGivenSome() throws Exception {
    store.put(S3Path.parse("s3://data/guarded"), new byte[] {7});
    // the fixed pair every embedded store used to accept
    StoreSpec formerDefault = StoreSpec.endpoint(server.endpoint(), "us-east-1", "stratus", "stratus-local-secret");
    StoreException e =
        assertThrows(StoreException.class, () -> ObjectStore.of(formerDefault).get(S3Path.parse("s3://data/guarded")));
    assertTrue(e.getMessage().contains("access denied"), e.getMessage());

    Path other = Files.createTempDirectory("credentials");
    try (EmbeddedS3Server second = EmbeddedS3Server.start(other)) {
      assertFalse(second.spec().accessKey().equals(server.spec().accessKey()));
      assertFalse(second.spec().secretKey().equals(server.spec().secretKey()));
    }
    try (EmbeddedS3Server given = EmbeddedS3Server.start(other, "GIVENKEY", "given-secret")) {
      ObjectStore withThem = ObjectStore.of(StoreSpec.endpoint(given.endpoint(), "us-east-1", "GIVENKEY", "given-secret"));
      withThem.ensureBucket("mine");
      withThem.put(S3Path.parse("s3://mine/k"), new byte[] {1});
      assertArrayEquals(new byte[] {1}, withThem.get(S3Path.parse("s3://mine/k")));
    }
  }

  @Test
  void anEmbeddedSpecWithCredentialsStartsItsServerWithThem() throws Exception {
    Path own = Files.createTempDirectory("given");
    ObjectStore given = ObjectStore.of(StoreSpec.embedded(own, "OPTIONKEY", "option-secret"));
    given.ensureBucket("given");
    assertEquals("OPTIONKEY", given.reachableSpec().accessKey());
    assertEquals("option-secret", given.reachableSpec().secretKey());
    assertTrue(ObjectStore.of(StoreSpec.embedded(own)).bucketExists("given"), "a spec without keys takes the server's");
    StoreException e = assertThrows(StoreException.class,
        () -> ObjectStore.of(StoreSpec.embedded(own, "OTHERKEY", "other-secret")));
    assertTrue(e.getMessage().contains("other credentials"), e.getMessage());
  }

  @Test
  void unreachableEndpointIsNamed() {
    StoreSpec dead = StoreSpec.endpoint(URI.create("http://127.0.0.1:1"), "us-east-1", "a", "b");
    StoreException e = assertThrows(StoreException.class, () -> ObjectStore.of(dead).exists(S3Path.parse("s3://x/y")));
    assertTrue(e.getMessage().contains("http://127.0.0.1:1 is unreachable"), e.getMessage());
  }

  @Test
  void parsesPaths() {
    assertEquals(new S3Path("b", "k/l"), S3Path.parse("s3://b/k/l"));
    assertEquals("s3://b/k/part", S3Path.parse("s3://b/k").resolve("part").toString());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> S3Path.parse("/local/file"));
    assertTrue(e.getMessage().contains("/local/file"));
    assertThrows(IllegalArgumentException.class, () -> S3Path.parse("s3:///key"));
  }
}
