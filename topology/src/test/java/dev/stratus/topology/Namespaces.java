package dev.stratus.topology;

import static org.junit.Assume.assumeTrue;

import java.io.IOException;

/** What the tests that make namespaces share. */
final class Namespaces {
  private Namespaces() {}

  /** Skips the test, saying why on standard error as well as in the report, when namespaces cannot be made here. */
  static void assumeAvailable() {
    String reason = CloudTopology.unavailableReason();
    if (reason != null) {
      System.err.println("SKIPPED: " + reason);
    }
    assumeTrue(reason, reason == null);
  }

  /** {@code ip netns list} and {@code ip link} as they are now. */
  static String hostNetwork() throws IOException {
    return Ip.run("netns", "list") + "\n" + Ip.run("link", "show");
  }
}
