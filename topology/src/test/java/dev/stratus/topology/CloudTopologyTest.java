package dev.stratus.topology;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.stratus.jvm.ChildJvm;
import dev.stratus.jvm.ChildProcess;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.Timeout;

/** The namespaces, links and bridge of a topology, and what they let through. */
public class CloudTopologyTest {
  @Rule public final Timeout timeout = Timeout.seconds(90);

  @Before
  public void namespacesCanBeMade() {
    Namespaces.assumeAvailable();
  }

  @Test
  public void itsNamespacesAndLinksExistWhileItIsOpenAndAreGoneAfterClose() throws Exception {
    List<String> made = new ArrayList<>();
    try (CloudTopology topology = CloudTopology.create()) {
      made.addAll(topology.namespaces());
      made.addAll(topology.hostLinks());
      String network = Namespaces.hostNetwork();
      for (String name : made) {
        assertTrue(name + " exists while open:\n" + network, network.contains(name));
      }
      assertEquals(3 + 4, made.size());
      topology.hostLinks().forEach(link -> assertTrue(link + " is too long for Linux", link.length() <= 15));
    }
    assertNoneLeft(made);
  }

  @Test
  public void nothingIsLeftWhenTheCodeUsingItFails() throws Exception {
    List<String> made = new ArrayList<>();
    IllegalStateException failure = assertThrows(IllegalStateException.class, () -> {
      try (CloudTopology topology = CloudTopology.create()) {
        made.addAll(topology.namespaces());
        made.addAll(topology.hostLinks());
        topology.startIn(CloudTopology.Role.SHARDS, probe().readyWhen(ConnectProbe.READY, Duration.ofSeconds(30)));
        throw new IllegalStateException("the test failed");
      }
    });
    assertEquals("the test failed", failure.getMessage());
    assertFalse(made.isEmpty());
    assertNoneLeft(made);
  }

  @Test
  public void rolesShareNoLoopbackAndReachTheDriverOnlyOverTheBridge() throws Exception {
    try (CloudTopology topology = CloudTopology.create();
        ServerSocket onRootLoopback = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        ServerSocket onDriverAddress = new ServerSocket(0, 5, topology.driverAddress())) {
      ChildProcess probe = topology.startIn(CloudTopology.Role.SHARDS, probe()
          .arguments(Arguments.format((InetSocketAddress) onRootLoopback.getLocalSocketAddress()),
              Arguments.format((InetSocketAddress) onDriverAddress.getLocalSocketAddress()))
          .readyWhen(ConnectProbe.READY, Duration.ofSeconds(30)));
      String[] ready = probe.ready().split(" ");
      assertEquals("the shards' namespace reaches the driver's address, not the root's loopback",
          "refused,connected", ready[1]);
      int probeLoopbackPort = Integer.parseInt(ready[0]);
      assertThrows("the root namespace cannot reach the shards' loopback", ConnectException.class,
          () -> new Socket(InetAddress.getLoopbackAddress(), probeLoopbackPort).close());
    }
  }

  private static ChildJvm.Builder probe() {
    return ChildJvm.mainClass(ConnectProbe.class).jvmOptions("-Xmx32m", "-XX:TieredStopAtLevel=1");
  }

  private static void assertNoneLeft(List<String> names) throws IOException {
    String network = Namespaces.hostNetwork();
    for (String name : names) {
      assertFalse(name + " is gone after close:\n" + network, network.contains(name));
    }
  }
}
