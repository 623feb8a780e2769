package dev.stratus.benchmarks.ps;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal Redis client speaking RESP2 over one socket: commands are arrays of bulk strings, written to a buffer
 * and sent on {@link #flush()}, so several commands can be pipelined before their replies are read. Counts bytes
 * both ways for the benchmark's bytes-per-iteration.
 */
public final class RespClient implements AutoCloseable {
  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;
  private long bytesOut;
  private long bytesIn;

  public RespClient(InetSocketAddress server) throws IOException {
    socket = new Socket(server.getAddress(), server.getPort());
    socket.setTcpNoDelay(true);
    out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
    in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
  }

  long wireBytes() {
    return bytesOut + bytesIn;
  }

  /** Buffers one command; {@code args} are byte[] or anything whose toString() is the argument. */
  public void command(Object... args) throws IOException {
    writeLine('*', args.length);
    for (Object arg : args) {
      byte[] bytes = arg instanceof byte[] b ? b : arg.toString().getBytes(StandardCharsets.US_ASCII);
      writeLine('$', bytes.length);
      out.write(bytes);
      out.write('\r');
      out.write('\n');
      bytesOut += bytes.length + 2;
    }
  }

  /** Buffers a command whose arguments are {@code head} followed by every element of {@code tail}. */
  void command(List<Object> head, List<?> tail) throws IOException {
    List<Object> all = new ArrayList<>(head);
    all.addAll(tail);
    command(all.toArray());
  }

  public void flush() throws IOException {
    out.flush();
  }

  private void writeLine(char type, int n) throws IOException {
    byte[] line = (type + Integer.toString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    out.write(line);
    bytesOut += line.length;
  }

  /** One sent command and its reply: byte[] (bulk, or null), Long, String (simple) or List (array). */
  public Object call(Object... args) throws IOException {
    command(args);
    flush();
    return read();
  }

  public Object read() throws IOException {
    int type = readByte();
    String line = readLine();
    return switch (type) {
      case '+' -> line;
      case '-' -> throw new IOException("redis: " + line);
      case ':' -> Long.parseLong(line);
      case '$' -> {
        int n = Integer.parseInt(line);
        if (n < 0) {
          yield null;
        }
        byte[] bulk = in.readNBytes(n);
        readByte();
        readByte();
        bytesIn += n + 2;
        yield bulk;
      }
      case '*' -> {
        int n = Integer.parseInt(line);
        List<Object> items = new ArrayList<>(Math.max(n, 0));
        for (int i = 0; i < n; i++) {
          items.add(read());
        }
        yield items;
      }
      default -> throw new IOException("unexpected RESP type " + (char) type);
    };
  }

  private int readByte() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new IOException("redis closed the connection");
    }
    bytesIn++;
    return b;
  }

  private String readLine() throws IOException {
    StringBuilder line = new StringBuilder();
    for (int b = readByte(); b != '\r'; b = readByte()) {
      line.append((char) b);
    }
    readByte(); // '\n'
    return line.toString();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
