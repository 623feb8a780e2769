package dev.stratus.store;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;

/**
 * An S3-compatible server (s3proxy over its filesystem blob store) running inside this JVM, bound to 127.0.0.1 (or an
 * address given) on a free port. Buckets are directories under the data directory, so what a run writes is there for
 * the next one. It takes only requests signed with its credentials, given or made at random when it starts.
 */
public final class EmbeddedS3Server implements AutoCloseable {
  private static final long START_TIMEOUT_MS = 30_000;

  private final S3Proxy proxy;
  private final InetAddress bindAddress;
  private final BlobStore blobs;
  private final Path dataDir;
  private final String accessKey;
  private final String secretKey;

  private EmbeddedS3Server(S3Proxy proxy, InetAddress bindAddress, BlobStore blobs, Path dataDir, String accessKey,
      String secretKey) {
    this.proxy = proxy;
    this.bindAddress = bindAddress;
    this.blobs = blobs;
    this.dataDir = dataDir;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
  }

  /**
   * Starts a server over {@code dataDir} (created if missing) that accepts only credentials made at random now, and
   * waits until it accepts requests.
   */
  public static EmbeddedS3Server start(Path dataDir) {
    SecureRandom random = new SecureRandom();
    byte[] id = new byte[10];
    byte[] secret = new byte[30];
    random.nextBytes(id);
    random.nextBytes(secret);
    return start(dataDir, "STRATUS" + HexFormat.of().withUpperCase().formatHex(id),
        Base64.getEncoder().encodeToString(secret));
  }

  /** Starts a server over {@code dataDir} that accepts only {@code accessKey} with {@code secretKey}. */
  public static EmbeddedS3Server start(Path dataDir, String accessKey, String secretKey) {
    return start(dataDir, accessKey, secretKey, InetAddress.getLoopbackAddress());
  }

  /**
   * Starts a server over {@code dataDir} that accepts only {@code accessKey} with {@code secretKey}, listening on
   * {@code bindAddress} (one of this host's addresses) rather than loopback, for clients on other hosts.
   */
  public static EmbeddedS3Server start(Path dataDir, String accessKey, String secretKey, InetAddress bindAddress) {
    requireJacksonAnnotations();
    try {
      Files.createDirectories(dataDir);
      Properties props = new Properties();
      props.setProperty("jclouds.filesystem.basedir", dataDir.toAbsolutePath().toString());
      BlobStore blobs = BlobStores.create("filesystem", props);
      S3Proxy proxy =
          S3Proxy.builder()
              .blobStore(blobs)
              .endpoint(httpUri(bindAddress, 0))
              .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
              .build();
      proxy.start();
      long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
      while (!"STARTED".equals(proxy.getState())) {
        if (System.currentTimeMillis() > deadline) {
          proxy.stop();
          blobs.close();
          throw new StoreException("the embedded S3 server over " + dataDir + " did not start within 30 s");
        }
        Thread.sleep(5);
      }
      return new EmbeddedS3Server(proxy, bindAddress, blobs, dataDir, accessKey, secretKey);
    } catch (StoreException e) {
      throw e;
    } catch (Exception e) {
      throw new StoreException("cannot start the embedded S3 server over " + dataDir + ": " + e.getMessage(), e);
    }
  }

  /**
   * s3proxy needs jackson-annotations 2.22 or later. A project that depends on Beam before Stratus without importing
   * stratus-bom gets Beam's older one by Maven's nearest-wins rule, and s3proxy would fail with a bare
   * NoClassDefFoundError; say what to change instead.
   */
  private static void requireJacksonAnnotations() {
    try {
      Class.forName("com.fasterxml.jackson.annotation.JsonSerializeAs", false, EmbeddedS3Server.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      String found = com.fasterxml.jackson.annotation.JsonProperty.class.getPackage().getImplementationVersion();
      throw new StoreException("the embedded S3 server needs com.fasterxml.jackson.core:jackson-annotations 2.22 or"
          + " later, and the class path has " + (found != null ? found : "an older one") + ": import"
          + " dev.stratus:stratus-bom in your pom's dependencyManagement (before any other BOM), or declare the Stratus"
          + " dependencies before Beam's");
    }
  }

  public URI endpoint() {
    return httpUri(bindAddress, proxy.getPort());
  }

  /** http://ADDRESS:PORT, with an IPv6 address in brackets. */
  private static URI httpUri(InetAddress address, int port) {
    try {
      return new URI("http", null, address.getHostAddress(), port, null, null, null);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("no URI for " + address + " port " + port, e);
    }
  }

  public Path dataDir() {
    return dataDir;
  }

  /**
   * The spec through which clients in this JVM or another reach this running server, with its credentials: hand it
   * on in memory or an invocation payload only.
   */
  public StoreSpec spec() {
    return StoreSpec.endpoint(endpoint(), "us-east-1", accessKey, secretKey);
  }

  /** Whether this server accepts {@code spec}'s credentials (a spec without any takes the server's own). */
  boolean accepts(StoreSpec spec) {
    return spec.accessKey() == null || (spec.accessKey().equals(accessKey) && spec.secretKey().equals(secretKey));
  }

  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new StoreException("cannot stop the embedded S3 server over " + dataDir, e);
    } finally {
      blobs.close();
    }
  }
}
