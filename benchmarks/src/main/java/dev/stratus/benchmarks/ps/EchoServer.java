package dev.stratus.benchmarks.ps;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The floor: a loopback server that does nothing but answer. A request is {@code length:i32 replyBytes:i32} and
 * filler; the answer is {@code replyBytes} bytes. With request and reply sizes set to those of our pull and push
 * frames, it moves the same bytes as the parameter server with none of the work, on one thread per connection.
 *
 * <p>It runs as its own process ({@link #main}), as our shard does, so that both pay the same cross-process
 * scheduling; it exits when its standard input closes, so it never outlives the benchmark.
 */
public final class EchoServer implements AutoCloseable {
  static final String PORT_LINE = "ECHO_PORT ";
  private final ServerSocket listener;

  EchoServer() throws IOException {
    listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "echo-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket socket = listener.accept();
        socket.setTcpNoDelay(true);
        Thread connection = new Thread(() -> serve(socket), "echo-connection");
        connection.setDaemon(true);
        connection.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  private static void serve(Socket socket) {
    try (socket) {
      DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
      OutputStream out = socket.getOutputStream();
      byte[] buffer = new byte[1 << 16];
      while (true) {
        int length = in.readInt();
        int replyBytes = in.readInt();
        in.readFully(buffer, 0, length - 4);
        out.write(buffer, 0, replyBytes);
      }
    } catch (IOException done) {
      // the client left
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }

  /** Serves until stopped: the parent's close, or its death, which {@code ChildJvm}'s children do not outlive. */
  public static void main(String[] args) throws IOException, InterruptedException {
    try (EchoServer server = new EchoServer()) {
      System.out.println(PORT_LINE + server.port());
      System.out.flush();
      Thread.currentThread().join();
    }
  }
}
