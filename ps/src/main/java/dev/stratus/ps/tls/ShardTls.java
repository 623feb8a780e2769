package dev.stratus.ps.tls;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * TLS between clients and shards, TLS 1.3 only, with the JDK's provider on both sides: the shard's Netty context from
 * its {@link ShardCertificate}, and the client's sockets, which trust exactly the certificates they are given.
 */
public final class ShardTls {
  static final String PROTOCOL = "TLSv1.3";
  /** AES-128 first: as safe as AES-256 here and faster, and AES-GCM has the JVM's intrinsics (ChaCha20 has not). */
  private static final List<String> CIPHERS =
      List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");

  private ShardTls() {}

  /**
   * The certificates in PEM text, for checking a certificate given to clients before any connects.
   *
   * @throws IllegalArgumentException naming {@code what} when the text holds no readable certificate
   */
  public static List<X509Certificate> certificates(String pem, String what) {
    return Pem.certificates(pem, what);
  }

  /** The context a shard's connections handshake with: one per shard, a handler per connection. */
  public static SslContext serverContext(ShardCertificate certificate) throws SSLException {
    List<X509Certificate> chain = Pem.certificates(certificate.certificatePem(), "the certificate");
    return SslContextBuilder.forServer(Pem.privateKey(certificate.privateKeyPem(), "the private key"),
            chain.toArray(X509Certificate[]::new))
        .sslProvider(SslProvider.JDK)
        .protocols(PROTOCOL)
        .ciphers(CIPHERS)
        .build();
  }

  /**
   * A client trusting exactly the certificates in {@code trustedCertificatesPem}.
   *
   * @throws IllegalArgumentException when the text holds no readable certificate
   */
  public static Client client(String trustedCertificatesPem) {
    List<X509Certificate> pinned = Pem.certificates(trustedCertificatesPem, "the shards' trusted certificate");
    try {
      SSLContext context = SSLContext.getInstance(PROTOCOL);
      context.init(null, new TrustManager[] {new PinnedTrustManager(pinned)}, null);
      return new Client(context.getSocketFactory());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM offers no " + PROTOCOL + ": " + e.getMessage(), e);
    }
  }

  /** Turns a client's connected sockets into TLS sockets to a shard that presents a pinned certificate. */
  public static final class Client {
    private final SSLSocketFactory sockets;

    private Client(SSLSocketFactory sockets) {
      this.sockets = sockets;
    }

    /**
     * Layers TLS over {@code connected} (closed with it) and runs the handshake, within the socket's read timeout.
     * The shard's host name is not checked against its certificate: workers dial shards by an address (behind NAT,
     * through a mapped port) that the certificate need not name, and the trust is the pinned certificate itself,
     * whose key only the shards hold.
     *
     * @throws SSLException when the handshake fails; caused by a {@link java.security.cert.CertificateException}
     *     when the shard's certificate is not a pinned one
     */
    public SSLSocket handshake(Socket connected, InetSocketAddress shard) throws IOException {
      SSLSocket tls = (SSLSocket) sockets.createSocket(connected, shard.getHostString(), shard.getPort(), true);
      tls.setEnabledProtocols(new String[] {PROTOCOL});
      tls.setEnabledCipherSuites(CIPHERS.toArray(String[]::new));
      tls.startHandshake();
      return tls;
    }
  }
}
