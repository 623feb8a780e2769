package dev.stratus.ps.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.stream.Collectors;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts a shard whose certificate is one of the pinned ones and within its validity, whatever it is signed by and
 * whatever host it names (see {@link ShardTls.Client#handshake}); the TLS handshake proves the shard holds its key.
 * No system CA is consulted: a job's shards are trusted by their certificate, not by who issued it.
 */
final class PinnedTrustManager extends X509ExtendedTrustManager {
  private final List<X509Certificate> pinned;

  PinnedTrustManager(List<X509Certificate> pinned) {
    this.pinned = List.copyOf(pinned);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the shard presented no certificate");
    }
    X509Certificate presented = chain[0];
    if (!pinned.contains(presented)) {
      throw new CertificateException("the shard's certificate (" + Pem.describe(presented) + ") is not the one this "
          + "client trusts (" + pinned.stream().map(Pem::fingerprint).collect(Collectors.joining(" or ")) + ")");
    }
    presented.checkValidity();
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("a shard client authenticates shards, not clients (they prove the job's secret)");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return pinned.toArray(X509Certificate[]::new);
  }
}
