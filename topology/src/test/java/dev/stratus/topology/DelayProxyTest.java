package dev.stratus.topology;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.rules.Timeout;

/** The proxy in this JVM between a client and a {@link ReplyServer} on loopback: what it adds, measured. */
public class DelayProxyTest {
  private static final InetSocketAddress ANY_LOOPBACK_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  private static final int ROUND_TRIPS = 2_000;

  @Rule public final Timeout timeout = Timeout.seconds(60);
  @Rule public final TemporaryFolder folder = new TemporaryFolder();

  @Test
  public void aOneWayLatencyDelaysEveryRoundTripByTwiceItAndNoMore() throws Exception {
    try (ReplyServer server = new ReplyServer();
        DelayProxy plain = DelayProxy.start(ANY_LOOPBACK_PORT, server.address(), DelayProxy.Options.none());
        DelayProxy datacenter = DelayProxy.start(ANY_LOOPBACK_PORT, server.address(),
            DelayProxy.Options.datacenter())) {
      double[] direct = roundTripMicros(server.address());
      double[] relayed = roundTripMicros(plain.address());
      double[] delayed = roundTripMicros(datacenter.address());
      System.out.printf("round trip of 100 bytes, median: direct %.0f µs, through the proxy %.0f µs, with 150 µs each"
          + " way %.0f µs (%.0f µs added, 300 asked); shortest delayed %.0f µs%n", median(direct), median(relayed),
          median(delayed), median(delayed) - median(relayed), delayed[0]);
      assertTrue("every round trip took at least the 300 µs asked: the shortest " + delayed[0] + " µs",
          delayed[0] >= 300);
      // the median: a busy machine deschedules the proxy's threads now and then, which says nothing of the proxy
      assertTrue("the proxy adds little beyond the latency asked: " + median(delayed) + " µs against "
          + median(relayed), median(delayed) <= median(relayed) + 600);
    }
  }

  @Test
  public void everyReplyOnAKeptAliveConnectionWaitsForItsFirstByte() throws Exception {
    Duration firstByte = Duration.ofMillis(20);
    try (ReplyServer server = new ReplyServer();
        DelayProxy proxy = DelayProxy.start(ANY_LOOPBACK_PORT, server.address(),
            DelayProxy.Options.none().withFirstByteDelay(firstByte));
        Socket socket = connect(proxy.address())) {
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      DataInputStream in = new DataInputStream(socket.getInputStream());
      for (int request = 0; request < 5; request++) {
        long start = System.nanoTime();
        out.writeInt(1000);
        in.readFully(new byte[1000]);
        double millis = (System.nanoTime() - start) / 1e6;
        System.out.printf("request %d on one connection: reply after %.2f ms (first byte held 20 ms)%n", request,
            millis);
        assertTrue("reply " + request + " after " + millis + " ms", millis >= 20);
        // the first also waited for the connection to the server and for the proxy's code to warm up
        assertTrue("reply " + request + " after " + millis + " ms", request == 0 || millis < 40);
      }
    }
  }

  @Test
  public void theServersBytesAreCappedPerConnection() throws Exception {
    long cap = 20_000_000;
    int size = 8 << 20;
    try (ReplyServer server = new ReplyServer();
        DelayProxy plain = DelayProxy.start(ANY_LOOPBACK_PORT, server.address(), DelayProxy.Options.none());
        DelayProxy capped = DelayProxy.start(ANY_LOOPBACK_PORT, server.address(),
            DelayProxy.Options.none().withBytesPerSecond(cap))) {
      double uncapped = bytesPerSecond(plain.address(), 4 * size);
      double achieved = bytesPerSecond(capped.address(), size);
      System.out.printf("throughput through the proxy: %.0f MB/s uncapped, %.1f MB/s capped at %d MB/s%n",
          uncapped / 1e6, achieved / 1e6, cap / 1_000_000);
      assertTrue("capped at " + cap + " but got " + achieved, achieved <= cap * 1.05);
      assertTrue("the cap is reached: " + achieved, achieved >= cap * 0.8);
    }
  }

  @Test
  public void aCaptureHoldsEveryRelayedByte() throws Exception {
    Path file = folder.getRoot().toPath().resolve("capture.bin");
    try (ReplyServer server = new ReplyServer();
        DelayProxy proxy = DelayProxy.start(ANY_LOOPBACK_PORT, server.address(),
            DelayProxy.Options.datacenter().withCapture(file));
        Socket socket = connect(proxy.address())) {
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      out.writeInt(3);
      new DataInputStream(socket.getInputStream()).readFully(new byte[3]);
    }
    byte[] expected = ByteBuffer.allocate(7).putInt(3).put("rrr".getBytes()).array();
    assertArrayEquals(expected, Files.readAllBytes(file));
  }

  @Test
  public void eachSideSeesTheOthersEndAndCloseStopsTheProxysThreads() throws Exception {
    long before = proxyThreads();
    try (ReplyServer server = new ReplyServer();
        DelayProxy proxy = DelayProxy.start(ANY_LOOPBACK_PORT, server.address(), DelayProxy.Options.datacenter())) {
      try (Socket socket = connect(proxy.address())) {
        new DataOutputStream(socket.getOutputStream()).writeInt(10);
        socket.shutdownOutput();
        // the reply comes whole, then the end the server sent once it saw the client's
        byte[] reply = socket.getInputStream().readAllBytes();
        assertEquals(10, reply.length);
      }
      Socket idle = connect(proxy.address());
      idle.getOutputStream().write(1);
      proxy.close();
      assertEquals("the connection open at close was closed", -1, idle.getInputStream().read());
      idle.close();
    }
    assertEquals("threads of the proxy left", before, proxyThreads());
  }

  /** Each round trip's time after a warm-up, sorted. */
  private static double[] roundTripMicros(InetSocketAddress address) throws IOException {
    try (Socket socket = connect(address)) {
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] reply = new byte[100];
      double[] micros = new double[ROUND_TRIPS];
      for (int i = -ROUND_TRIPS / 4; i < ROUND_TRIPS; i++) { // the first quarter warms up
        long start = System.nanoTime();
        out.writeInt(reply.length);
        in.readFully(reply);
        if (i >= 0) {
          micros[i] = (System.nanoTime() - start) / 1e3;
        }
      }
      Arrays.sort(micros);
      return micros;
    }
  }

  private static double median(double[] sorted) {
    return sorted[sorted.length / 2];
  }

  private static double bytesPerSecond(InetSocketAddress address, int size) throws IOException {
    try (Socket socket = connect(address)) {
      new DataOutputStream(socket.getOutputStream()).writeInt(size);
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] buffer = new byte[64 * 1024];
      in.readFully(buffer, 0, 1);
      long start = System.nanoTime(); // from the first byte: the rate, not the time to it
      for (int left = size - 1; left > 0; left -= buffer.length) {
        in.readFully(buffer, 0, Math.min(left, buffer.length));
      }
      return (size - 1) / ((System.nanoTime() - start) / 1e9);
    }
  }

  private static Socket connect(InetSocketAddress address) throws IOException {
    Socket socket = new Socket(address.getAddress(), address.getPort());
    socket.setTcpNoDelay(true);
    return socket;
  }

  private static long proxyThreads() throws InterruptedException {
    // a thread that ended may not have left the set yet
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    long count;
    while ((count = Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().startsWith("delay-proxy")).count()) > 0
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    return count;
  }
}
