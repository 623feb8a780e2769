package dev.stratus.ps.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.PsException;
import dev.stratus.ps.server.RawConnection;
import dev.stratus.ps.server.ShardConfig;
import dev.stratus.ps.server.Shards;
import dev.stratus.ps.wire.FrameOut;
import dev.stratus.ps.wire.FrameReader;
import dev.stratus.ps.wire.Handshake;
import dev.stratus.ps.wire.Wire;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The handshake, on real sockets: what crosses the wire, and who gets refused. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HandshakeTest {
  private static final String SECRET = "handshake-test-" + HexFormat.of().formatHex(randomBytes(16));
  private static final String NOT_PROVED = "did not prove the job's secret: not a shard of this job, or a different "
      + "secret";

  @Test
  void neitherSideSendsTheSecretNorAnythingToCheckItAgainstCheaply() throws Exception {
    try (Shards shards = Shards.start(1, ShardConfig.of(SECRET));
        RecordingRelay relay = new RecordingRelay(shards.addresses().get(0))) {
      try (PsClient ps = PsClient.connect(List.of(relay.address()), SECRET)) {
        PsModel model = ps.createModel("m", ModelSpec.vector(8).learningRate(1f));
        ps.push(model, new int[] {1}, new float[] {-2}).get();
        assertArrayEquals(new float[] {2}, ps.pull(model, new int[] {1}).get());
        ps.put("k", new byte[] {7}).get();
      }
      byte[] toShard = relay.sentToShard();
      byte[] toClient = relay.sentToClients();
      assertTrue(toShard.length > 100 && toClient.length > 100, "the relay saw the session");
      byte[] secret = SECRET.getBytes(StandardCharsets.UTF_8);
      Map<String, byte[]> forms = Map.of(
          "the secret", secret,
          "its hex", ascii(HexFormat.of().formatHex(secret)),
          "its upper-case hex", ascii(HexFormat.of().withUpperCase().formatHex(secret)),
          "its base64", ascii(Base64.getEncoder().withoutPadding().encodeToString(secret)),
          "its url-safe base64", ascii(Base64.getUrlEncoder().withoutPadding().encodeToString(secret)),
          "its SHA-256", MessageDigest.getInstance("SHA-256").digest(secret),
          "the handshake key", Handshake.key(SECRET));
      forms.forEach((what, bytes) -> {
        assertFalse(contains(toShard, bytes), what + " is in what the client sent");
        assertFalse(contains(toClient, bytes), what + " is in what the shard sent");
      });
    }
  }

  @Test
  void aWorkerWithAnotherSecretGetsNoFurtherThanHello() throws Exception {
    try (Shards shards = Shards.start(1, ShardConfig.of(SECRET));
        RecordingRelay relay = new RecordingRelay(shards.addresses().get(0))) {
      PsException distrusted =
          assertThrows(PsException.class, () -> PsClient.connect(List.of(relay.address()), SECRET + "-not"));
      assertEquals("shard 0 at " + relay.address() + " " + NOT_PROVED
          + " (its proof does not match this worker's secret)", distrusted.getMessage());
      byte[] sent = relay.sentToShard();
      assertEquals(frameEnd(sent, 0), sent.length, "the worker sent its HELLO and no proof");

      try (RawConnection anotherSecret = new RawConnection(shards.addresses().get(0))) {
        assertEquals("wrong secret: connection refused", anotherSecret.authenticate(SECRET + "-not").error());
        assertTrue(anotherSecret.closedByPeer());
      }
    }
  }

  @Test
  void aStandInThatCannotProveTheSecretIsNotTrusted() throws Exception {
    byte[] aNonce = Handshake.nonce();
    byte[] wrongKey = Handshake.key(SECRET + "-not");
    List<Answer> answers = List.of(
        hello -> ascii("HTTP/1.1 400 Bad Request\r\n\r\n"),
        hello -> okWith(f -> f.bytes(aNonce).bytes(randomBytes(Handshake.PROOF_BYTES))),
        hello -> okWith(f -> f.bytes(aNonce).bytes(Handshake.shardProof(wrongKey, hello, aNonce))),
        hello -> okWith(f -> f.i32(1 << 20).i32(0)), // what shards before protocol version 2 answered
        hello -> okWith(f -> f.bytes(aNonce))); // no proof at all
    for (Answer answer : answers) {
      try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
        CompletableFuture<Integer> bytesAfterAnswer = CompletableFuture.supplyAsync(() -> standIn(listener, answer));
        PsException untrusted = assertThrows(PsException.class, () -> PsClient.connect(List.of(address), SECRET));
        assertTrue(untrusted.getMessage().startsWith("shard 0 at " + address + " " + NOT_PROVED),
            untrusted.getMessage());
        assertEquals(0, bytesAfterAnswer.get(10, TimeUnit.SECONDS), "the client sent nothing more (no PROOF)");
      }
    }
  }

  /** What a stand-in shard answers to the worker nonce of a HELLO. */
  private interface Answer {
    byte[] to(byte[] workerNonce);
  }

  private static byte[] okWith(java.util.function.Consumer<FrameOut> body) {
    return RawConnection.frame(Wire.REPLY_OK, 0, body);
  }

  /** Answers one connection's HELLO; returns how many bytes the client sent after that answer before it hung up. */
  private static int standIn(ServerSocket listener, Answer answer) {
    try (Socket socket = listener.accept()) {
      socket.setSoTimeout(10_000);
      InputStream in = socket.getInputStream();
      FrameReader frames = new FrameReader(1024, null);
      frames.read(in, Wire.MAX_FRAME_BEFORE_HELLO);
      frames.body.i32(); // version
      frames.body.i32(); // worker id
      byte[] workerNonce = Handshake.read(frames.body, Handshake.NONCE_BYTES, "nonce");
      socket.getOutputStream().write(answer.to(workerNonce));
      int sentAfter = 0;
      try {
        while (in.read() >= 0) {
          sentAfter++;
        }
      } catch (SocketException reset) {
        // the client hung up on what it had not read
      }
      return sentAfter;
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  @Test
  void aReplayedProofIsRefused() throws Exception {
    try (Shards shards = Shards.start(1, ShardConfig.of(SECRET));
        RecordingRelay relay = new RecordingRelay(shards.addresses().get(0))) {
      try (PsClient ps = PsClient.connect(List.of(relay.address()), SECRET)) {
        ps.put("k", new byte[] {1}).get(); // the handshake is surely through the relay
      }
      byte[] recorded = relay.sentToShard();
      byte[] hello = Arrays.copyOf(recorded, frameEnd(recorded, 0));
      byte[] proof = Arrays.copyOfRange(recorded, hello.length, frameEnd(recorded, hello.length));
      FrameReader frames = new FrameReader(1024, null);
      frames.read(new ByteArrayInputStream(hello), Wire.MAX_FRAME_BEFORE_HELLO);
      frames.body.i32(); // version
      frames.body.i32(); // worker id
      byte[] recordedWorkerNonce = Handshake.read(frames.body, Handshake.NONCE_BYTES, "nonce");
      frames.read(new ByteArrayInputStream(relay.sentToClients()), Wire.MAX_FRAME_BEFORE_HELLO);
      byte[] recordedShardNonce = Handshake.read(frames.body, Handshake.NONCE_BYTES, "nonce");

      try (RawConnection replay = new RawConnection(shards.addresses().get(0))) {
        RawConnection.Challenge fresh = replay.hello(recordedWorkerNonce);
        assertFalse(Arrays.equals(recordedShardNonce, fresh.shardNonce()), "the shard picks a fresh nonce");
        replay.send(proof);
        String refused = replay.read().error();
        assertTrue(refused != null && refused.contains("wrong secret"), refused);
        assertTrue(replay.closedByPeer());
      }
    }
  }

  /** Where the frame that starts at {@code start} ends: past its big-endian length prefix and its length. */
  private static int frameEnd(byte[] stream, int start) {
    int length = (stream[start] & 0xFF) << 24 | (stream[start + 1] & 0xFF) << 16 | (stream[start + 2] & 0xFF) << 8
        | stream[start + 3] & 0xFF;
    return start + 4 + length;
  }

  @Test
  void clientsAndShardsOfDifferentProtocolVersionsSaySo() throws Exception {
    try (Shards shards = Shards.start(1, ShardConfig.of(SECRET))) {
      try (RawConnection oldClient = new RawConnection(shards.addresses().get(0))) {
        oldClient.send(RawConnection.frame(Wire.HELLO, 0, f -> f.bytes(randomBytes(32)).i32(0))); // version 1's HELLO
        String refused = oldClient.read().error();
        assertTrue(refused.contains("this shard speaks protocol version " + Wire.PROTOCOL_VERSION), refused);
        assertTrue(oldClient.closedByPeer());
      }
      try (RawConnection previous = new RawConnection(shards.addresses().get(0))) {
        int version = Wire.PROTOCOL_VERSION - 1; // the previous build's well-formed HELLO
        previous.send(RawConnection.frame(Wire.HELLO, 0, f -> f.i32(version).i32(0).bytes(Handshake.nonce())));
        String refused = previous.read().error();
        assertTrue(refused.contains("this shard speaks protocol version " + Wire.PROTOCOL_VERSION + ", the client "
            + "another (HELLO's first field was " + version + ")"), refused);
        assertTrue(previous.closedByPeer());
      }
    }
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
      CompletableFuture<Void> oldShard = CompletableFuture.runAsync(() -> {
        try (Socket socket = listener.accept()) {
          new FrameReader(1024, null).read(socket.getInputStream(), Wire.MAX_FRAME_BEFORE_HELLO);
          // a shard before version 2 finds a malformed HELLO and hangs up without a word
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      PsException failed = assertThrows(PsException.class, () -> PsClient.connect(List.of(address), SECRET));
      assertTrue(failed.getMessage().contains("protocol version " + Wire.PROTOCOL_VERSION), failed.getMessage());
      oldShard.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aShardThatCannotBeReachedIsNamedWithTheHostThatTried() throws Exception {
    InetSocketAddress nobody;
    try (ServerSocket closedAgain = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      nobody = new InetSocketAddress(InetAddress.getLoopbackAddress(), closedAgain.getLocalPort());
    }
    PsException failed = assertThrows(PsException.class, () -> PsClient.connect(List.of(nobody), SECRET));
    String message = failed.getMessage();
    assertTrue(message.startsWith("cannot connect to shard 0 at " + nobody + " from host "
        + InetAddress.getLocalHost().getHostName() + " (local 127.0.0.1): "), message);
    assertFalse(message.contains("\n"), message);
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return true;
      }
    }
    return false;
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    new SecureRandom().nextBytes(bytes);
    return bytes;
  }
}
