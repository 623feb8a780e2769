package dev.stratus.ps;

import java.io.Serializable;

/**
 * What a client needs to be let in by a job's shards and to trust them: the job's secret, and, when the shards serve
 * TLS, the certificate they present (PEM; one or more), which the client pins. Plain data, so that a worker's task
 * carries it as it is.
 *
 * @param token the job's secret, proved in the handshake and never sent
 * @param trustedCertificatePem the shards' certificate, PEM; null when the shards serve plain frames
 */
public record ShardAccess(String token, String trustedCertificatePem) implements Serializable {
  public ShardAccess {
    if (token == null || token.isEmpty()) {
      throw new IllegalArgumentException("shard access needs the job's secret (token)");
    }
    if (trustedCertificatePem != null && trustedCertificatePem.isBlank()) {
      throw new IllegalArgumentException("shard access over TLS needs the shards' certificate, got an empty one");
    }
  }

  /** Shards that serve plain frames. */
  public static ShardAccess plain(String token) {
    return new ShardAccess(token, null);
  }

  /** Shards that serve TLS with {@code certificatePem}. */
  public static ShardAccess tls(String token, String certificatePem) {
    return new ShardAccess(token, certificatePem);
  }

  public boolean usesTls() {
    return trustedCertificatePem != null;
  }

  /** Never the secret: an access may end up in a log line or an assertion's message. */
  @Override
  public String toString() {
    return "ShardAccess[secret hidden, " + (usesTls() ? "TLS with a pinned certificate" : "plain frames") + "]";
  }
}
