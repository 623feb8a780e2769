package dev.stratus.ps.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A loopback relay in front of a shard that records every byte each side sends through it. */
final class RecordingRelay implements AutoCloseable {
  private final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
  private final InetSocketAddress shard;
  private final ByteArrayOutputStream toShard = new ByteArrayOutputStream();
  private final ByteArrayOutputStream toClient = new ByteArrayOutputStream();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  RecordingRelay(InetSocketAddress shard) throws IOException {
    this.shard = shard;
    daemon("relay-accept", this::acceptAll);
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
  }

  /** What clients sent to the shard so far, all connections in one stream. */
  byte[] sentToShard() {
    return toShard.toByteArray();
  }

  /** What the shard sent to clients so far, all connections in one stream. */
  byte[] sentToClients() {
    return toClient.toByteArray();
  }

  private void acceptAll() {
    try {
      while (true) {
        Socket client = listener.accept();
        Socket server = new Socket(shard.getAddress(), shard.getPort());
        sockets.add(client);
        sockets.add(server);
        daemon("relay-to-shard", () -> pump(client, server, toShard));
        daemon("relay-to-client", () -> pump(server, client, toClient));
      }
    } catch (IOException closed) {
      // the relay is closed
    }
  }

  private static void pump(Socket from, Socket to, ByteArrayOutputStream record) {
    byte[] buffer = new byte[8192];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      for (int n; (n = in.read(buffer)) >= 0; ) {
        record.write(buffer, 0, n);
        out.write(buffer, 0, n);
      }
      to.shutdownOutput();
    } catch (IOException closed) {
      // either side went away
    }
  }

  private static void daemon(String name, Runnable body) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket socket : sockets) {
      socket.close();
    }
  }
}
