package dev.stratus.ps.tls;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A shard's TLS identity: its certificate chain and private key, both PEM. Checked when made: both parse, and the key
 * is the one the first certificate names. Its text never shows the key.
 *
 * @param certificatePem the certificate chain, the shard's own certificate first; what clients pin
 * @param privateKeyPem the shard's private key, unencrypted (PKCS#8, SEC1 or PKCS#1)
 */
public record ShardCertificate(String certificatePem, String privateKeyPem) {
  /** Long enough for any job, short enough that a leaked key soon opens nothing. */
  static final Duration SELF_SIGNED_VALIDITY = Duration.ofDays(7);
  /** Margin for clocks of workers a little behind the driver's. */
  private static final Duration CLOCK_SKEW = Duration.ofHours(1);
  private static final String SUBJECT = "CN=stratus parameter-server shard";

  public ShardCertificate {
    Pem.checkKeyMatches(Pem.certificates(certificatePem, "the certificate").get(0),
        Pem.privateKey(privateKeyPem, "the private key"));
  }

  /**
   * A fresh self-signed certificate and key (EC P-256), valid for a week: one
   * job's, whose clients pin it. It names no host: clients dial shards by address and trust the certificate itself.
   */
  public static ShardCertificate selfSigned() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair keys = generator.generateKeyPair();
      Instant now = Instant.now();
      X500Name subject = new X500Name(SUBJECT);
      X509CertificateHolder certificate = new JcaX509v3CertificateBuilder(subject,
          new BigInteger(64, new SecureRandom()), Date.from(now.minus(CLOCK_SKEW)),
          Date.from(now.plus(SELF_SIGNED_VALIDITY)), subject, keys.getPublic())
          .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
      return new ShardCertificate(Pem.write(certificate), Pem.write(keys.getPrivate()));
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot make a shard certificate: " + e.getMessage(), e);
    }
  }

  /** The certificate's subject and fingerprint; never the key. */
  @Override
  public String toString() {
    return "ShardCertificate[" + Pem.describe(Pem.certificates(certificatePem, "the certificate").get(0))
        + ", private key hidden]";
  }
}
