package dev.stratus.ps.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.PsException;
import dev.stratus.ps.ShardAccess;
import dev.stratus.ps.server.RawConnection;
import dev.stratus.ps.server.ShardConfig;
import dev.stratus.ps.server.Shards;
import dev.stratus.ps.tls.ShardCertificate;
import dev.stratus.ps.wire.Handshake;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Shards serving TLS, on real sockets: what crosses the wire, and who finds out that the two sides disagree. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsTest {
  private static final String SECRET = "tls-test-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
  private static final String MODEL = "model-in-clear-marker";
  private static final String KEY = "key-in-clear-marker";
  /** A mismatch is found in the first exchange, well within the connect timeout (10 s). */
  private static final long QUICK_MILLIS = 3_000;

  @Test
  void aTlsClientPullsAndPushesThroughATlsShard() throws Exception {
    ShardConfig config = ShardConfig.of(SECRET).tlsSelfSigned();
    try (Shards shards = Shards.start(2, config);
        PsClient ps = PsClient.connect(shards.addresses(), config.access(), 3)) {
      PsModel model = ps.createModel("m", ModelSpec.vector(8).learningRate(1f));
      ps.push(model, new int[] {1, 200}, new float[] {-2, -5}).get();
      assertArrayEquals(new float[] {2, 5}, ps.pull(model, new int[] {1, 200}).get());
      ps.put(KEY, new byte[] {7}).get();
      assertArrayEquals(new byte[] {7}, ps.get(KEY).get());
      assertEquals(1L, ps.status(model).get().updatesByWorker().get(3));
    }
  }

  @Test
  void nothingButTlsRecordsCrossTheWireWhileThePlainSessionShowsItsFrames() throws Exception {
    ShardConfig tls = ShardConfig.of(SECRET).tlsSelfSigned();
    Session overTls = session(tls);
    Session plain = session(ShardConfig.of(SECRET));
    Map<String, byte[]> clearText = clearTextForms();
    clearText.forEach((what, bytes) -> {
      assertFalse(contains(overTls.toShard, bytes), what + " is in what the TLS client sent");
      assertFalse(contains(overTls.toClient, bytes), what + " is in what the TLS shard sent");
    });
    assertEquals(0x16, overTls.toShard[0], "the client's first byte opens a TLS handshake record");
    assertEquals(0x16, overTls.toClient[0], "so does the shard's");
    // The check can fail: without TLS the frames' markers are there to be seen.
    for (String marker : List.of("the HELLO frame's header", "the model's name", "the key-value key")) {
      assertTrue(contains(plain.toShard, clearText.get(marker)), marker + " is in what the plain client sent");
    }
  }

  @Test
  void aPlainClientOfATlsShardIsToldSoQuickly() throws Exception {
    try (Shards shards = Shards.start(1, ShardConfig.of(SECRET).tlsSelfSigned())) {
      InetSocketAddress address = shards.addresses().get(0);
      String message = failureWithin(QUICK_MILLIS, () -> PsClient.connect(List.of(address), SECRET));
      assertTrue(message.startsWith("cannot connect to shard 0 at " + address), message);
      assertTrue(message.contains("the shard closed the connection in reply to HELLO: a shard serving TLS (started "
          + "with --tls-cert) does so to a client not given its certificate"), message);
    }
  }

  @Test
  void aTlsClientOfAPlainShardIsToldSoQuickly() throws Exception {
    try (Shards shards = Shards.start(1, ShardConfig.of(SECRET))) {
      InetSocketAddress address = shards.addresses().get(0);
      ShardAccess access = ShardConfig.of(SECRET).tlsSelfSigned().access();
      String message = failureWithin(QUICK_MILLIS, () -> PsClient.connect(List.of(address), access, 0));
      assertTrue(message.startsWith("shard 0 at " + address + " did not answer TLS: is it started with --tls-cert?"),
          message);
    }
  }

  @Test
  void aClientPinningAnotherJobsCertificateIsRefusedBeforeItSaysAnything() throws Exception {
    ShardConfig config = ShardConfig.of(SECRET).tlsSelfSigned();
    ShardCertificate anotherJobs = ShardCertificate.selfSigned();
    try (Shards shards = Shards.start(1, config);
        RecordingRelay relay = new RecordingRelay(shards.addresses().get(0))) {
      InetSocketAddress address = relay.address();
      String message = failureWithin(QUICK_MILLIS,
          () -> PsClient.connect(List.of(address), ShardAccess.tls(SECRET, anotherJobs.certificatePem()), 0));
      assertTrue(message.startsWith("shard 0 at " + address + " is not trusted: the shard's certificate (subject "
          + "'CN=stratus parameter-server shard', SHA-256 fingerprint "), message);
      assertTrue(message.contains(") is not the one this client trusts ("), message);
      // The secret is proved only inside the session, so a client that distrusts the shard never starts to.
      byte[] hello = RawConnection.helloFrame(new byte[Handshake.NONCE_BYTES]);
      assertFalse(contains(relay.sentToShard(), Arrays.copyOf(hello, hello.length - Handshake.NONCE_BYTES)));
    }
  }

  /** What one client session sent each way through a recording relay: create, push, pull, put. */
  private record Session(byte[] toShard, byte[] toClient) {}

  private static Session session(ShardConfig config) throws Exception {
    try (Shards shards = Shards.start(1, config);
        RecordingRelay relay = new RecordingRelay(shards.addresses().get(0))) {
      try (PsClient ps = PsClient.connect(List.of(relay.address()), config.access(), 0)) {
        PsModel model = ps.createModel(MODEL, ModelSpec.vector(8).learningRate(1f));
        ps.push(model, new int[] {1}, new float[] {-2}).get();
        assertArrayEquals(new float[] {2}, ps.pull(model, new int[] {1}).get());
        ps.put(KEY, new byte[] {7}).get();
      }
      Session session = new Session(relay.sentToShard(), relay.sentToClients());
      assertTrue(session.toShard.length > 100 && session.toClient.length > 100, "the relay saw the session");
      return session;
    }
  }

  /** The secret in the forms it could leak in, and the plaintext markers of the session's frames. */
  private static Map<String, byte[]> clearTextForms() {
    byte[] secret = SECRET.getBytes(StandardCharsets.UTF_8);
    byte[] hello = RawConnection.helloFrame(new byte[Handshake.NONCE_BYTES]);
    Map<String, byte[]> forms = new LinkedHashMap<>();
    forms.put("the secret", secret);
    forms.put("its hex", HexFormat.of().formatHex(secret).getBytes(StandardCharsets.US_ASCII));
    forms.put("the handshake key", Handshake.key(SECRET));
    forms.put("the HELLO frame's header", Arrays.copyOf(hello, hello.length - Handshake.NONCE_BYTES));
    forms.put("the model's name", MODEL.getBytes(StandardCharsets.UTF_8));
    forms.put("the key-value key", KEY.getBytes(StandardCharsets.UTF_8));
    return forms;
  }

  /** The message of the PsException {@code connect} throws, which must come within {@code millis}. */
  private static String failureWithin(long millis, org.junit.jupiter.api.function.Executable connect) {
    long start = System.nanoTime();
    PsException failed = assertThrows(PsException.class, connect);
    long took = (System.nanoTime() - start) / 1_000_000;
    assertTrue(took < millis, "the failure took " + took + " ms: " + failed.getMessage());
    return failed.getMessage();
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return true;
      }
    }
    return false;
  }
}
