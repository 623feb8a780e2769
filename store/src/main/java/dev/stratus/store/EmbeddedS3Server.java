package dev.stratus.store;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;

/**
 * An S3-compatible server (s3proxy over its filesystem blob store) running inside this JVM, bound to 127.0.0.1 on a
 * free port. Buckets are directories under the data directory, so what a run writes is there for the next one.
 */
public final class EmbeddedS3Server implements AutoCloseable {
  private static final long START_TIMEOUT_MS = 30_000;

  private final S3Proxy proxy;
  private final BlobStore blobs;
  private final Path dataDir;

  private EmbeddedS3Server(S3Proxy proxy, BlobStore blobs, Path dataDir) {
    this.proxy = proxy;
    this.blobs = blobs;
    this.dataDir = dataDir;
  }

  /** Starts a server over {@code dataDir} (created if missing) and waits until it accepts requests. */
  public static EmbeddedS3Server start(Path dataDir) {
    try {
      Files.createDirectories(dataDir);
      Properties props = new Properties();
      props.setProperty("jclouds.filesystem.basedir", dataDir.toAbsolutePath().toString());
      BlobStore blobs = BlobStores.create("filesystem", props);
      S3Proxy proxy =
          S3Proxy.builder()
              .blobStore(blobs)
              .endpoint(URI.create("http://127.0.0.1:0"))
              .awsAuthentication(
                  AuthenticationType.AWS_V2_OR_V4,
                  StoreSpec.EMBEDDED_ACCESS_KEY,
                  StoreSpec.EMBEDDED_SECRET_KEY)
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
      return new EmbeddedS3Server(proxy, blobs, dataDir);
    } catch (StoreException e) {
      throw e;
    } catch (Exception e) {
      throw new StoreException("cannot start the embedded S3 server over " + dataDir + ": " + e.getMessage(), e);
    }
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The spec through which clients in this JVM or another reach this running server. */
  public StoreSpec spec() {
    return StoreSpec.endpoint(endpoint(), "us-east-1", StoreSpec.EMBEDDED_ACCESS_KEY, StoreSpec.EMBEDDED_SECRET_KEY);
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
