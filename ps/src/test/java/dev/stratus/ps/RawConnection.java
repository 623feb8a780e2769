package dev.stratus.ps;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A hand-driven socket to a shard, for sending frames the real client never would. */
final class RawConnection implements AutoCloseable {
  final Socket socket = new Socket();
  final DataInputStream in;
  final OutputStream out;

  RawConnection(InetSocketAddress address) throws IOException {
    socket.connect(address, 5000);
    socket.setSoTimeout(10_000);
    socket.setTcpNoDelay(true);
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  static byte[] frame(byte opcode, int requestId, java.util.function.Consumer<FrameOut> body) {
    FrameOut out = new FrameOut(Integer.MAX_VALUE);
    out.begin(opcode, requestId);
    body.accept(out);
    out.end();
    return out.toByteArray();
  }

  static byte[] hello(String secret) {
    return frame(Wire.HELLO, 0, f -> f.bytes(secret.getBytes(StandardCharsets.UTF_8)).i32(0));
  }

  void send(byte[] bytes) throws IOException {
    out.write(bytes);
  }

  /** The next reply: its opcode, request id, and the message of an error reply (else null). */
  record Reply(byte opcode, int requestId, String error) {}

  Reply read() throws IOException, MalformedFrameException {
    byte[] frame = new byte[in.readInt()];
    in.readFully(frame);
    FrameIn body = new FrameIn();
    body.reset(frame, Wire.HEADER_BYTES, frame.length - Wire.HEADER_BYTES);
    int id = (frame[2] & 0xFF) | (frame[3] & 0xFF) << 8 | (frame[4] & 0xFF) << 16 | frame[5] << 24;
    return new Reply(frame[0], id, frame[0] == Wire.REPLY_ERROR ? body.str() : null);
  }

  /** True when the shard has closed the connection (reads end of stream or a reset). */
  boolean closedByPeer() {
    try {
      while (in.read() >= 0) {
        // drain replies sent before the close
      }
      return true;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
