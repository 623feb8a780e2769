package dev.stratus.ps.wire;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How a worker and a shard prove to each other that they hold the job's secret without sending it: a mutual
 * challenge-response over fresh nonces.
 *
 * <pre>
 * worker -> shard  HELLO  version:i32 workerId:i32 workerNonce
 * shard -> worker  OK     shardNonce HMAC(key, "shard proof" workerNonce shardNonce)     (or an ERROR)
 * worker -> shard  PROOF  HMAC(key, "worker proof" workerNonce shardNonce)               (only if that checked)
 * shard -> worker  OK     maxFrameBytes:i32 shard:i32                                    (or "wrong secret")
 * </pre>
 *
 * <p>Nonces and HMACs are 32-byte {@code bytes} fields (an i32 length, then the bytes); the labels also name
 * {@link Wire#PROTOCOL_VERSION}.
 *
 * <p>The key is an HMAC of a fixed label under the secret, so the secret itself never keys anything that is sent. Each
 * side checks the other's proof over a nonce it picked itself, so a proof recorded from another connection is
 * worthless, and the two directions' labels differ, so neither side can be made to produce the proof it expects.
 *
 * <p>What crosses the wire is the nonces and HMACs over them, nothing else derived from the secret. That much is
 * inherent to challenge-response: anyone who reaches a shard gets one shard proof over nonces it knows, against which
 * it can test guesses of the secret offline, so the secret must be random (128 bits or more), not a password. The
 * handshake authenticates the connection's ends, not the frames after it: it is no substitute for a private network.
 */
public final class Handshake {
  private Handshake() {}

  public static final int NONCE_BYTES = 32;
  public static final int PROOF_BYTES = 32;
  private static final String HMAC = "HmacSHA256";
  private static final byte[] KEY_LABEL = label("stratus-ps handshake key v" + Wire.PROTOCOL_VERSION);
  private static final byte[] SHARD_LABEL = label("stratus-ps shard proof v" + Wire.PROTOCOL_VERSION);
  private static final byte[] WORKER_LABEL = label("stratus-ps worker proof v" + Wire.PROTOCOL_VERSION);
  private static final SecureRandom RANDOM = new SecureRandom();

  private static byte[] label(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  /** The key both proofs are made with, derived from the job's secret. */
  public static byte[] key(String secret) {
    return hmac(secret.getBytes(StandardCharsets.UTF_8), KEY_LABEL);
  }

  public static byte[] nonce() {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    return nonce;
  }

  /** What the shard sends to prove it knows the secret. */
  public static byte[] shardProof(byte[] key, byte[] workerNonce, byte[] shardNonce) {
    return hmac(key, SHARD_LABEL, workerNonce, shardNonce);
  }

  /** What the worker sends to prove it knows the secret. */
  public static byte[] workerProof(byte[] key, byte[] workerNonce, byte[] shardNonce) {
    return hmac(key, WORKER_LABEL, workerNonce, shardNonce);
  }

  /** A nonce or proof: a byte string of exactly {@code length} bytes, as {@link FrameOut#bytes} wrote it. */
  public static byte[] read(FrameIn in, int length, String what) throws MalformedFrameException {
    byte[] field = in.bytes();
    if (field.length != length) {
      throw new MalformedFrameException("a " + what + " of " + field.length + " bytes, not " + length);
    }
    return field;
  }

  /** Whether {@code offered} is the {@code expected} proof, in time that does not depend on where they differ. */
  public static boolean matches(byte[] expected, byte[] offered) {
    return MessageDigest.isEqual(expected, offered);
  }

  private static byte[] hmac(byte[] key, byte[]... parts) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(key, HMAC));
      for (byte[] part : parts) {
        mac.update(part);
      }
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot compute " + HMAC, e);
    }
  }
}
