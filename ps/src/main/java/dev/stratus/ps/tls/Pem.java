package dev.stratus.ps.tls;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * PEM text to certificates and keys and back, with BouncyCastle's parser, which reads every form openssl writes.
 * Errors name what was being read ({@code what}) and never quote the text, which may be a private key.
 */
final class Pem {
  private Pem() {}

  /** The certificates in {@code pem}, in order; anything else in the text is skipped. */
  static List<X509Certificate> certificates(String pem, String what) {
    List<X509Certificate> certificates = new ArrayList<>();
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      for (Object object; (object = parser.readObject()) != null; ) {
        if (object instanceof X509CertificateHolder holder) {
          certificates.add(converter.getCertificate(holder));
        }
      }
    } catch (IOException | CertificateException | RuntimeException e) {
      throw new IllegalArgumentException(what + " is not readable PEM: " + e.getMessage(), e);
    }
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException(what + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    return certificates;
  }

  /** The first private key in {@code pem}; an encrypted one is refused, since a shard starts unattended. */
  static PrivateKey privateKey(String pem, String what) {
    Object key = null;
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      for (Object object; key == null && (object = parser.readObject()) != null; ) {
        if (object instanceof PEMKeyPair || object instanceof PrivateKeyInfo || object instanceof PEMEncryptedKeyPair
            || object instanceof PKCS8EncryptedPrivateKeyInfo) {
          key = object;
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(what + " is not readable PEM: " + e.getClass().getSimpleName(), e);
    }
    if (key == null) {
      throw new IllegalArgumentException(what + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
    }
    if (key instanceof PEMEncryptedKeyPair || key instanceof PKCS8EncryptedPrivateKeyInfo) {
      throw new IllegalArgumentException(what + " is encrypted: a shard needs it unencrypted (openssl's -nodes, or"
          + " openssl pkey -in KEY -out PLAIN_KEY), in a file only its owner can read");
    }
    try {
      // SEC1 (BEGIN EC PRIVATE KEY) and PKCS#1 (BEGIN RSA PRIVATE KEY) come as a pair, PKCS#8 (BEGIN PRIVATE KEY) alone
      return new JcaPEMKeyConverter().getPrivateKey(
          key instanceof PEMKeyPair pair ? pair.getPrivateKeyInfo() : (PrivateKeyInfo) key);
    } catch (IOException e) {
      throw new IllegalArgumentException(what + " is not a key this JVM can use: " + e.getClass().getSimpleName(), e);
    }
  }

  /** Refuses a key that is not the one {@code certificate} names, by signing with it and verifying with the other. */
  static void checkKeyMatches(X509Certificate certificate, PrivateKey key) {
    String algorithm = switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> throw new IllegalArgumentException("the private key is of type " + key.getAlgorithm()
          + ": use an EC (P-256) or RSA key");
    };
    byte[] probe = new byte[32];
    new SecureRandom().nextBytes(probe);
    boolean matches;
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      matches = verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      matches = false; // a key of another type than the certificate's
    }
    if (!matches) {
      throw new IllegalArgumentException("the private key does not belong to the certificate ("
          + describe(certificate) + ")");
    }
  }

  /** {@code object} (a certificate holder, or a private key as PKCS#8) as PEM text. */
  static String write(Object object) {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      writer.writeObject(object instanceof PrivateKey key ? new JcaPKCS8Generator(key, null) : object);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return text.toString();
  }

  /** The certificate's subject and its SHA-256 fingerprint, written as {@code openssl x509 -fingerprint} does. */
  static String describe(X509Certificate certificate) {
    return "subject '" + certificate.getSubjectX500Principal().getName() + "', SHA-256 fingerprint "
        + fingerprint(certificate);
  }

  static String fingerprint(X509Certificate certificate) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
      return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot fingerprint a certificate: " + e.getMessage(), e);
    }
  }
}
