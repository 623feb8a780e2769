package dev.stratus.topology;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;

/**
 * A server for the proxy's tests, on loopback unless given an address: to each request (a 4-byte count) it replies
 * with that many bytes; it closes a connection once the client has ended its side.
 */
final class ReplyServer implements AutoCloseable {
  private static final int WRITE_BYTES = 64 * 1024;

  private final ServerSocket listener;

  ReplyServer() throws IOException {
    this(InetAddress.getLoopbackAddress());
  }

  ReplyServer(InetAddress bind) throws IOException {
    listener = new ServerSocket(0, 50, bind);
    Thread acceptor = new Thread(this::accept, "reply-server");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  InetSocketAddress address() {
    return (InetSocketAddress) listener.getLocalSocketAddress();
  }

  private void accept() {
    try {
      while (true) {
        Socket connection = listener.accept();
        Thread replier = new Thread(() -> reply(connection), "reply-server-connection");
        replier.setDaemon(true);
        replier.start();
      }
    } catch (IOException closed) {
      // close() ends it
    }
  }

  private static void reply(Socket connection) {
    byte[] bytes = new byte[WRITE_BYTES];
    Arrays.fill(bytes, (byte) 'r');
    try (connection) {
      connection.setTcpNoDelay(true);
      DataInputStream in = new DataInputStream(connection.getInputStream());
      OutputStream out = connection.getOutputStream();
      while (true) {
        int count;
        try {
          count = in.readInt();
        } catch (EOFException end) {
          return;
        }
        for (int left = count; left > 0; left -= WRITE_BYTES) {
          out.write(bytes, 0, Math.min(left, WRITE_BYTES));
        }
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
