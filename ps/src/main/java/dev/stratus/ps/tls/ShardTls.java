package dev.stratus.ps.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import org.conscrypt.Conscrypt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS between clients and shards, TLS 1.3 only: the shard's Netty context from its {@link ShardCertificate}, and the
 * client's sockets, which trust exactly the certificates they are given.
 *
 * <p>Both sides do their TLS in BoringSSL where its native library loads, as it does on Linux and macOS on x86-64
 * and arm64 for the shard (netty-tcnative under Netty's SslHandler) and on Linux, macOS and Windows on x86-64 for the
 * client (Conscrypt's sockets): about half the CPU of the JDK's provider per record, and far less garbage. Elsewhere,
 * or with {@code -D}{@value #PROVIDER_PROPERTY}{@code =jdk}, a side uses the JDK's provider and says so once in the
 * log. The two interoperate: each side picks its own.
 */
public final class ShardTls {
  private static final Logger LOG = LoggerFactory.getLogger(ShardTls.class);
  static final String PROTOCOL = "TLSv1.3";
  /** {@code jdk} makes both sides use the JDK's provider even where BoringSSL loads; {@code native} (default) not. */
  public static final String PROVIDER_PROPERTY = "stratus.ps.tls.provider";
  /**
   * For the JDK's provider: AES-128 first, as safe as AES-256 here and faster, and AES-GCM has the JVM's intrinsics
   * (ChaCha20 has not). BoringSSL picks among the same three itself (its TLS 1.3 suites cannot be configured): AES-GCM
   * first where the CPU has AES instructions, AES-128 before AES-256.
   */
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
    return serverContext(certificate, ShardSide.OPENSSL);
  }

  /** With BoringSSL (netty-tcnative) if {@code openSsl}, else with the JDK's provider. */
  static SslContext serverContext(ShardCertificate certificate, boolean openSsl) throws SSLException {
    List<X509Certificate> chain = Pem.certificates(certificate.certificatePem(), "the certificate");
    SslContextBuilder builder = SslContextBuilder.forServer(
            Pem.privateKey(certificate.privateKeyPem(), "the private key"), chain.toArray(X509Certificate[]::new))
        .protocols(PROTOCOL);
    if (openSsl) {
      builder.sslProvider(SslProvider.OPENSSL);
    } else {
      builder.sslProvider(SslProvider.JDK).ciphers(CIPHERS);
    }
    return builder.build();
  }

  /**
   * A client trusting exactly the certificates in {@code trustedCertificatesPem}.
   *
   * @throws IllegalArgumentException when the text holds no readable certificate
   */
  public static Client client(String trustedCertificatesPem) {
    return client(trustedCertificatesPem, ClientSide.CONSCRYPT);
  }

  /** With BoringSSL (Conscrypt) if {@code conscrypt}, else with the JDK's provider. */
  static Client client(String trustedCertificatesPem, boolean conscrypt) {
    List<X509Certificate> pinned = Pem.certificates(trustedCertificatesPem, "the shards' trusted certificate");
    try {
      SSLContext context = conscrypt
          ? SSLContext.getInstance("TLS", ClientSide.provider())
          : SSLContext.getInstance(PROTOCOL);
      context.init(null, new TrustManager[] {new PinnedTrustManager(pinned)}, null);
      return new Client(context.getSocketFactory(), conscrypt);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM offers no " + PROTOCOL + ": " + e.getMessage(), e);
    }
  }

  private static boolean jdkAskedFor() {
    return System.getProperty(PROVIDER_PROPERTY, "native").trim().toLowerCase(Locale.ROOT).equals("jdk");
  }

  /** Whether shards use BoringSSL, decided (and logged when not) once per JVM, at the first shard's context. */
  private static final class ShardSide {
    static final boolean OPENSSL = decide();

    private static boolean decide() {
      if (jdkAskedFor()) {
        LOG.info("shard TLS: the JDK's provider, as -D{}=jdk asks", PROVIDER_PROPERTY);
        return false;
      }
      if (OpenSsl.isAvailable() && SslProvider.isTlsv13Supported(SslProvider.OPENSSL)) {
        return true;
      }
      Throwable why = OpenSsl.unavailabilityCause();
      LOG.info("shard TLS: the JDK's provider (slower), as BoringSSL (netty-tcnative) {} on this platform ({} {}): {}",
          why == null ? "offers no TLS 1.3" : "does not load", System.getProperty("os.name"),
          System.getProperty("os.arch"), why == null ? OpenSsl.versionString() : why.toString());
      return false;
    }
  }

  /** Whether clients use BoringSSL, decided (and logged when not) once per JVM, at the first client. */
  private static final class ClientSide {
    static final boolean CONSCRYPT = decide();
    private static Provider provider;

    private static boolean decide() {
      if (jdkAskedFor()) {
        LOG.info("shard clients' TLS: the JDK's provider, as -D{}=jdk asks", PROVIDER_PROPERTY);
        return false;
      }
      try {
        Conscrypt.checkAvailability();
        return true;
      } catch (Throwable unavailable) { // an UnsatisfiedLinkError, typically
        LOG.info("shard clients' TLS: the JDK's provider (slower), as Conscrypt does not load on this platform ({} "
            + "{}): {}", System.getProperty("os.name"), System.getProperty("os.arch"), unavailable.toString());
        return false;
      }
    }

    /** Conscrypt's provider, for this class's contexts only: never installed in the JVM's list. */
    static synchronized Provider provider() {
      if (provider == null) {
        provider = Conscrypt.newProvider();
      }
      return provider;
    }
  }

  /** Turns a client's connected sockets into TLS sockets to a shard that presents a pinned certificate. */
  public static final class Client {
    private final SSLSocketFactory sockets;
    private final boolean conscrypt;

    private Client(SSLSocketFactory sockets, boolean conscrypt) {
      this.sockets = sockets;
      this.conscrypt = conscrypt;
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
      if (!conscrypt) {
        tls.setEnabledCipherSuites(CIPHERS.toArray(String[]::new));
      }
      tls.startHandshake();
      return tls;
    }
  }
}
