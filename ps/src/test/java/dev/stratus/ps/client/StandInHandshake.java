package dev.stratus.ps.client;

import dev.stratus.ps.wire.FrameOut;
import dev.stratus.ps.wire.FrameReader;
import dev.stratus.ps.wire.Handshake;
import dev.stratus.ps.wire.MalformedFrameException;
import dev.stratus.ps.wire.Wire;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** The shard's side of the handshake, for stand-in shards written by hand in tests. */
final class StandInHandshake {
  private StandInHandshake() {}

  /** Reads HELLO, proves {@code secret}, checks the worker's PROOF and accepts it with this frame limit. */
  static void accept(InputStream in, OutputStream out, String secret, int maxFrameBytes)
      throws IOException, MalformedFrameException {
    FrameReader frames = new FrameReader(1024, null);
    frames.read(in, Wire.MAX_FRAME_BEFORE_HELLO);
    if (frames.opcode() != Wire.HELLO || frames.body.i32() != Wire.PROTOCOL_VERSION) {
      throw new MalformedFrameException("expected a version " + Wire.PROTOCOL_VERSION + " HELLO");
    }
    frames.body.i32(); // worker id
    byte[] workerNonce = Handshake.read(frames.body, Handshake.NONCE_BYTES, "nonce");
    byte[] key = Handshake.key(secret);
    byte[] shardNonce = Handshake.nonce();
    FrameOut replies = new FrameOut(Integer.MAX_VALUE);
    replies.begin(Wire.REPLY_OK, 0).bytes(shardNonce).bytes(Handshake.shardProof(key, workerNonce, shardNonce)).end();
    replies.writeTo(out);
    frames.read(in, Wire.MAX_FRAME_BEFORE_HELLO);
    byte[] proof = Handshake.read(frames.body, Handshake.PROOF_BYTES, "proof");
    byte[] expected = Handshake.workerProof(key, workerNonce, shardNonce);
    if (frames.opcode() != Wire.PROOF || !Handshake.matches(expected, proof)) {
      throw new MalformedFrameException("the worker did not prove the secret");
    }
    replies.clear();
    replies.begin(Wire.REPLY_OK, 0).i32(maxFrameBytes).i32(0).end();
    replies.writeTo(out);
  }
}
