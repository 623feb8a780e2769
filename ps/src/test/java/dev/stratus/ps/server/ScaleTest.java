package dev.stratus.ps.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import dev.stratus.ps.wire.Wire;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One shard holds 4,096 authenticated connections at once (or, where this process may not open that many file
 * descriptors, as many as it may: the test prints how many and why), each served; and connections that do not prove
 * the secret are capped apart: beyond their cap they are refused at once, and they never crowd out workers.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ScaleTest {
  private static final int WANTED = 4096;
  private static final int HANDSHAKES = 32;
  private static final int HELLO_TIMEOUT_MS = 1500;

  /** How many connections fit: each takes two descriptors here (its client and its server end). */
  private static int connectionsTheFdLimitAllows() {
    if (!(ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os)) {
      return WANTED;
    }
    long free = os.getMaxFileDescriptorCount() - os.getOpenFileDescriptorCount() - 512; // jars, selectors, logs
    int allowed = (int) Math.min(WANTED, free / 2);
    if (allowed < WANTED) {
      System.out.printf("ScaleTest: this process may open %d file descriptors (%d open), room for %d "
              + "connections, not %d: testing %d (raise `ulimit -n` to test all)%n",
          os.getMaxFileDescriptorCount(), os.getOpenFileDescriptorCount(), allowed, WANTED, allowed);
    }
    return allowed;
  }

  @Test
  void oneShardHoldsThousandsOfWorkersAndCapsHandshakesApart() throws Exception {
    int workers = connectionsTheFdLimitAllows();
    assertTrue(workers >= 1024, "the fd limit leaves room for only " + workers + " connections");
    ShardConfig config = ShardConfig.of(Shards.SECRET).limits(ShardConfig.Limits.DEFAULT
        .maxWorkers(workers + 1).maxHandshakes(HANDSHAKES).helloTimeoutMillis(HELLO_TIMEOUT_MS));
    List<RawConnection> raw = new ArrayList<>();
    List<Socket> idle = new ArrayList<>();
    try (Shards shards = Shards.start(1, config); PsClient ps = shards.client()) {
      PsServer server = shards.servers.get(0);
      InetSocketAddress address = shards.addresses().get(0);
      PsModel model = ps.createModel("scale", ModelSpec.vector(16).learningRate(1f));

      for (int i = 0; i < workers; i++) {
        RawConnection c = new RawConnection(address);
        raw.add(c);
        assertEquals(Wire.REPLY_OK, c.authenticate(Shards.SECRET).opcode(), "handshake of connection " + i);
      }
      assertEquals(workers + 1, server.metrics().connections());
      pingAll(raw);

      // the shard is full of workers: one more is refused with a reason, and nobody else notices
      try (RawConnection extra = new RawConnection(address)) {
        String refused = extra.authenticate(Shards.SECRET).error();
        assertTrue(refused != null && refused.contains("--max-workers"), refused);
        assertTrue(extra.closedByPeer());
      }

      // sockets that never prove the secret: HANDSHAKES are held, the ones beyond are closed at once
      for (int i = 0; i < HANDSHAKES; i++) {
        idle.add(connect(address));
      }
      awaitHandshaking(server, HANDSHAKES);
      for (int i = 0; i < 8; i++) {
        try (Socket beyond = connect(address)) {
          beyond.setSoTimeout(HELLO_TIMEOUT_MS / 2); // refused well before any timeout could close it
          assertEquals(-1, beyond.getInputStream().read(), "a socket beyond the handshake cap is closed");
        }
      }
      // ... while every worker is still served
      ps.push(model, new int[] {3, 15}, new float[] {-1, -2}).get(5, TimeUnit.SECONDS);
      assertArrayEquals(new float[] {1, 2}, ps.pull(model, new int[] {3, 15}).get(5, TimeUnit.SECONDS));
      pingAll(raw);

      // the idle sockets are dropped after the handshake timeout, and new workers get in again
      for (Socket s : idle) {
        s.setSoTimeout(HELLO_TIMEOUT_MS * 4);
        assertEquals(-1, s.getInputStream().read(), "an idle socket is dropped after the handshake timeout");
      }
      awaitHandshaking(server, 0);
      for (RawConnection c : raw.subList(0, 16)) {
        c.close();
      }
      try (PsClient late = shards.client(7)) {
        assertArrayEquals(new float[] {1, 2}, late.pull(model, new int[] {3, 15}).get(5, TimeUnit.SECONDS));
      }
    } finally {
      for (RawConnection c : raw) {
        c.close();
      }
      for (Socket s : idle) {
        s.close();
      }
    }
  }

  private static Socket connect(InetSocketAddress address) throws IOException {
    Socket socket = new Socket();
    socket.connect(address, 5000);
    return socket;
  }

  /** Every connection sends a PING first, then every answer is read: all are served at the same time. */
  private static void pingAll(List<RawConnection> connections) throws Exception {
    byte[] ping = RawConnection.frame(Wire.PING, 77, f -> {});
    for (RawConnection c : connections) {
      c.send(ping);
    }
    for (RawConnection c : connections) {
      RawConnection.Reply reply = c.read();
      assertEquals(Wire.REPLY_OK, reply.opcode());
      assertEquals(77, reply.requestId());
    }
  }

  private static void awaitHandshaking(PsServer server, int expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (server.handshaking() != expected && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(expected, server.handshaking(), "connections still handshaking");
  }
}
