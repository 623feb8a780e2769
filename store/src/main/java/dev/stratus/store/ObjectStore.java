package dev.stratus.store;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The project's one door to the object store: a thin layer over the AWS SDK's {@link S3Client} that turns the SDK's
 * exceptions into {@link StoreException}s naming the store, bucket and key.
 *
 * <p>Instances are shared per {@link StoreSpec} within a JVM ({@link #of}): S3 clients are thread-safe and costly to
 * build, and an embedded spec starts its server once.
 *
 * <p>Every call, and every read from a stream it opened, adds its time to {@link #waitedNanos()}: what a task spent on
 * store I/O, as opposed to its computing.
 */
public final class ObjectStore {
  private static final Map<StoreSpec, ObjectStore> SHARED = new ConcurrentHashMap<>();
  private static final LongAdder WAITED_NANOS = new LongAdder();
  private static final Map<Path, EmbeddedS3Server> EMBEDDED = new ConcurrentHashMap<>();

  private final StoreSpec spec;
  private final S3Client s3;

  private ObjectStore(StoreSpec spec, S3Client s3) {
    this.spec = spec;
    this.s3 = s3;
  }

  /** The shared store for {@code spec}; an embedded spec starts its in-process server on first use. */
  public static ObjectStore of(StoreSpec spec) {
    return SHARED.computeIfAbsent(spec, ObjectStore::connect);
  }

  private static ObjectStore connect(StoreSpec spec) {
    StoreSpec target = spec.isEmbedded() ? embeddedServer(spec).spec() : spec;
    S3ClientBuilder builder =
        S3Client.builder()
            .region(Region.of(target.region()))
            .httpClientBuilder(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(10))
                    .socketTimeout(Duration.ofSeconds(120)));
    if (target.endpoint() != null) {
      builder.endpointOverride(target.endpoint()).forcePathStyle(true);
      if (LoopbackSigning.appliesTo(target.endpoint())) {
        builder.putAuthScheme(LoopbackSigning.authScheme());
      }
    }
    if (target.accessKey() != null) {
      builder.credentialsProvider(
          StaticCredentialsProvider.create(AwsBasicCredentials.create(target.accessKey(), target.secretKey())));
    } else {
      builder.credentialsProvider(DefaultCredentialsProvider.builder().build());
    }
    return new ObjectStore(spec, builder.build());
  }

  /**
   * The embedded server over {@code dir} in this JVM, started once (with credentials made at random) and stopped when
   * the JVM exits.
   */
  public static EmbeddedS3Server embeddedServer(Path dir) {
    return embeddedServer(StoreSpec.embedded(dir));
  }

  /** The embedded server of {@code spec} in this JVM, started once with its credentials, if it names any. */
  private static EmbeddedS3Server embeddedServer(StoreSpec spec) {
    EmbeddedS3Server server = EMBEDDED.computeIfAbsent(
        spec.embeddedDir(),
        dir -> {
          EmbeddedS3Server started = spec.accessKey() == null
              ? EmbeddedS3Server.start(dir)
              : EmbeddedS3Server.start(dir, spec.accessKey(), spec.secretKey());
          Runtime.getRuntime().addShutdownHook(new Thread(started::close, "stop-embedded-s3"));
          return started;
        });
    if (!server.accepts(spec)) {
      throw new StoreException("the embedded store over " + spec.embeddedDir() + " already runs in this JVM with"
          + " other credentials than the access key " + spec.accessKey() + " now given");
    }
    return server;
  }

  public StoreSpec spec() {
    return spec;
  }

  /** A spec through which another process reaches this same store: an embedded store's running server. */
  public StoreSpec reachableSpec() {
    return spec.isEmbedded() ? embeddedServer(spec).spec() : spec;
  }

  /** The underlying SDK client, for calls this class does not wrap (multipart uploads, ranged reads). */
  public S3Client client() {
    return s3;
  }

  public boolean bucketExists(String bucket) {
    return call(
        "check bucket '" + bucket + "'",
        () -> {
          try {
            s3.headBucket(b -> b.bucket(bucket));
            return true;
          } catch (NoSuchBucketException e) {
            return false;
          } catch (S3Exception e) {
            if (e.statusCode() == 404) {
              return false;
            }
            throw e;
          }
        });
  }

  /** Creates {@code bucket} unless it exists; another process creating it at the same moment is no failure. */
  public void ensureBucket(String bucket) {
    if (!bucketExists(bucket)) {
      call(
          "create bucket '" + bucket + "'",
          () -> {
            try {
              return s3.createBucket(b -> b.bucket(bucket));
            } catch (BucketAlreadyOwnedByYouException e) {
              return null;
            }
          });
    }
  }

  public void put(S3Path path, byte[] data) {
    call("write " + path, () -> s3.putObject(b -> b.bucket(path.bucket()).key(path.key()), RequestBody.fromBytes(data)));
  }

  public void put(S3Path path, Path file) {
    call("upload " + file + " to " + path, () -> s3.putObject(b -> b.bucket(path.bucket()).key(path.key()), file));
  }

  public byte[] get(S3Path path) {
    ResponseBytes<GetObjectResponse> bytes =
        call("read " + path, () -> s3.getObjectAsBytes(b -> b.bucket(path.bucket()).key(path.key())));
    return bytes.asByteArray();
  }

  /** A stream over the object's bytes; the caller closes it. */
  public InputStream open(S3Path path) {
    return openFrom(path, 0);
  }

  /** A stream over the object's bytes from {@code offset} on (0: all of them); the caller closes it. */
  public InputStream openFrom(S3Path path, long offset) {
    if (offset == 0) {
      return new TimedStream(call("read " + path, () -> s3.getObject(b -> b.bucket(path.bucket()).key(path.key()))));
    }
    return new TimedStream(call("read " + path + " from byte " + offset,
        () -> s3.getObject(b -> b.bucket(path.bucket()).key(path.key()).range("bytes=" + offset + "-"))));
  }

  /**
   * Nanoseconds the threads of this JVM have spent in store calls and reading their streams, since it started. A
   * worker environment runs one task at a time, so the difference across a task is that task's store I/O.
   */
  public static long waitedNanos() {
    return WAITED_NANOS.sum();
  }

  public boolean exists(S3Path path) {
    return call(
        "look up " + path,
        () -> {
          try {
            s3.headObject(b -> b.bucket(path.bucket()).key(path.key()));
            return true;
          } catch (NoSuchKeyException e) {
            return false;
          } catch (S3Exception e) {
            if (e.statusCode() == 404 && !(e instanceof NoSuchBucketException)) {
              return false;
            }
            throw e;
          }
        });
  }

  /** Size in bytes of the object; {@link StoreException.NotFound} if it does not exist. */
  public long size(S3Path path) {
    return call("look up " + path, () -> s3.headObject(b -> b.bucket(path.bucket()).key(path.key())).contentLength());
  }

  /** Every object whose key starts with {@code prefix.key()}, in key order, following continuation pages. */
  public List<ObjectInfo> list(S3Path prefix) {
    return call(
        "list " + prefix,
        () -> {
          List<ObjectInfo> out = new ArrayList<>();
          ListObjectsV2Request.Builder request =
              ListObjectsV2Request.builder().bucket(prefix.bucket()).prefix(prefix.key());
          while (true) {
            ListObjectsV2Response page = s3.listObjectsV2(request.build());
            for (S3Object o : page.contents()) {
              out.add(new ObjectInfo(new S3Path(prefix.bucket(), o.key()), o.size()));
            }
            if (!Boolean.TRUE.equals(page.isTruncated())) {
              return out;
            }
            request.continuationToken(page.nextContinuationToken());
          }
        });
  }

  public void delete(S3Path path) {
    call("delete " + path, () -> s3.deleteObject(b -> b.bucket(path.bucket()).key(path.key())));
  }

  /** Deletes every object under {@code prefix}, a thousand per request. */
  public void deleteAll(S3Path prefix) {
    List<ObjectInfo> objects = list(prefix);
    for (int from = 0; from < objects.size(); from += 1000) {
      List<ObjectIdentifier> ids = new ArrayList<>();
      for (ObjectInfo o : objects.subList(from, Math.min(objects.size(), from + 1000))) {
        ids.add(ObjectIdentifier.builder().key(o.path().key()).build());
      }
      call(
          "delete under " + prefix,
          () -> s3.deleteObjects(b -> b.bucket(prefix.bucket()).delete(Delete.builder().objects(ids).build())));
    }
  }

  /** An object and its size. */
  public record ObjectInfo(S3Path path, long size) {}

  /** Counts the time spent in reads, which is time waiting on the store once the call has opened the stream. */
  private static final class TimedStream extends FilterInputStream {
    private interface Read {
      long run() throws IOException;
    }

    TimedStream(InputStream in) {
      super(in);
    }

    private static long timed(Read read) throws IOException {
      long start = System.nanoTime();
      try {
        return read.run();
      } finally {
        WAITED_NANOS.add(System.nanoTime() - start);
      }
    }

    @Override
    public int read() throws IOException {
      return (int) timed(in::read);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return (int) timed(() -> in.read(b, off, len));
    }

    @Override
    public long skip(long n) throws IOException {
      return timed(() -> in.skip(n));
    }
  }

  private <T> T call(String what, Supplier<T> action) {
    long start = System.nanoTime();
    try {
      return action.get();
    } catch (NoSuchBucketException e) {
      throw new StoreException.NotFound(
          "cannot " + what + ": the bucket does not exist in " + spec.describe() + " (create it, or name another)");
    } catch (NoSuchKeyException e) {
      throw new StoreException.NotFound("cannot " + what + ": no such object in " + spec.describe());
    } catch (S3Exception e) {
      String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
      if (e.statusCode() == 404) {
        throw new StoreException.NotFound("cannot " + what + ": not found in " + spec.describe() + " (" + code + ")");
      }
      if (e.statusCode() == 403) {
        throw new StoreException(
            "cannot " + what + ": access denied by " + spec.describe() + " (" + code + "); check the credentials", e);
      }
      throw new StoreException("cannot " + what + " in " + spec.describe() + ": " + code + " " + e.getMessage(), e);
    } catch (SdkClientException e) {
      throw new StoreException("cannot " + what + ": " + spec.describe() + " is unreachable: " + e.getMessage(), e);
    } catch (SdkException e) {
      throw new StoreException("cannot " + what + " in " + spec.describe() + ": " + e.getMessage(), e);
    } catch (java.io.UncheckedIOException e) {
      throw new StoreException("cannot " + what + ": " + e.getMessage(), e);
    } finally {
      WAITED_NANOS.add(System.nanoTime() - start);
    }
  }
}
