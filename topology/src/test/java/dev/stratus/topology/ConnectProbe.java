package dev.stratus.topology;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * Run in a namespace by the tests: tries to connect to each {@code ADDRESS:PORT} argument, listens on its own
 * loopback, and prints {@value #READY} with its listening port and, per argument, {@code connected} or
 * {@code refused}; then waits to be stopped.
 */
public final class ConnectProbe {
  static final String READY = "PROBE ";
  private static final int CONNECT_TIMEOUT_MILLIS = 2_000;

  private ConnectProbe() {}

  public static void main(String[] args) throws Exception {
    List<String> results = new ArrayList<>();
    for (String address : args) {
      InetSocketAddress target = Arguments.socketAddress("address", address);
      try (Socket socket = new Socket()) {
        socket.connect(target, CONNECT_TIMEOUT_MILLIS);
        results.add("connected");
      } catch (IOException e) {
        results.add("refused");
      }
    }
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      System.out.println(READY + listener.getLocalPort() + " " + String.join(",", results));
      System.out.flush();
      Thread.sleep(120_000); // stopped by the test long before
    }
  }
}
