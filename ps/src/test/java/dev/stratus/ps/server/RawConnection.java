package dev.stratus.ps.server;

import dev.stratus.ps.wire.FrameOut;
import dev.stratus.ps.wire.FrameReader;
import dev.stratus.ps.wire.Handshake;
import dev.stratus.ps.wire.MalformedFrameException;
import dev.stratus.ps.wire.Wire;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/** A hand-driven socket to a shard, for sending frames the real client never would. */
public final class RawConnection implements AutoCloseable {
  final Socket socket = new Socket();
  final InputStream in;
  final OutputStream out;
  private final FrameReader replies = new FrameReader(1024, null);

  public RawConnection(InetSocketAddress address) throws IOException {
    socket.connect(address, 5000);
    socket.setSoTimeout(10_000);
    socket.setTcpNoDelay(true);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  public static byte[] frame(byte opcode, int requestId, java.util.function.Consumer<FrameOut> body) {
    FrameOut out = new FrameOut(Integer.MAX_VALUE);
    out.begin(opcode, requestId);
    body.accept(out);
    out.end();
    return out.toByteArray();
  }

  /** The handshake's first frame, as worker 0 with this nonce. */
  public static byte[] helloFrame(byte[] workerNonce) {
    return frame(Wire.HELLO, 0, f -> f.i32(Wire.PROTOCOL_VERSION).i32(0).bytes(workerNonce));
  }

  /** The handshake's second frame: proof of {@code secret} over both nonces. */
  public static byte[] proofFrame(String secret, byte[] workerNonce, byte[] shardNonce) {
    return frame(Wire.PROOF, 0, f -> f.bytes(Handshake.workerProof(Handshake.key(secret), workerNonce, shardNonce)));
  }

  /** The shard's answer to HELLO: its nonce and its proof of the secret over both nonces. */
  public record Challenge(byte[] shardNonce, byte[] shardProof) {}

  /** Sends HELLO with this nonce and reads the shard's challenge (an error reply fails). */
  public Challenge hello(byte[] workerNonce) throws IOException, MalformedFrameException {
    send(helloFrame(workerNonce));
    replies.read(in, Wire.MAX_FRAME_BEFORE_HELLO);
    if (replies.opcode() != Wire.REPLY_OK) {
      throw new IOException("the shard refused HELLO: " + replies.body.str());
    }
    Challenge challenge = new Challenge(Handshake.read(replies.body, Handshake.NONCE_BYTES, "nonce"),
        Handshake.read(replies.body, Handshake.PROOF_BYTES, "proof"));
    replies.body.expectEnd();
    return challenge;
  }

  /** The whole handshake, proving {@code secret}: the shard's reply to the proof (OK, or the error refusing it). */
  public Reply authenticate(String secret) throws IOException, MalformedFrameException {
    byte[] workerNonce = Handshake.nonce();
    Challenge challenge = hello(workerNonce);
    send(proofFrame(secret, workerNonce, challenge.shardNonce()));
    return read();
  }

  public void send(byte[] bytes) throws IOException {
    out.write(bytes);
  }

  /** The next reply: its opcode, request id, and the message of an error reply (else null). */
  public record Reply(byte opcode, int requestId, String error) {}

  public Reply read() throws IOException, MalformedFrameException {
    replies.read(in, Integer.MAX_VALUE);
    byte opcode = replies.opcode();
    return new Reply(opcode, replies.requestId(), opcode == Wire.REPLY_ERROR ? replies.body.str() : null);
  }

  /** True when the shard has closed the connection (reads end of stream or a reset). */
  public boolean closedByPeer() {
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
