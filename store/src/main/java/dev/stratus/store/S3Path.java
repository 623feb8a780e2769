package dev.stratus.store;

import java.io.Serializable;

/** An object's address, {@code s3://bucket/key}; a key may be empty (the bucket) or end in '/' (a prefix). */
public record S3Path(String bucket, String key) implements Serializable {
  public static final String SCHEME = "s3://";

  public S3Path {
    if (bucket == null || bucket.isEmpty()) {
      throw new IllegalArgumentException("an S3 path needs a bucket: s3://bucket/key");
    }
    key = key == null ? "" : key;
  }

  public static boolean isS3(String location) {
    return location.startsWith(SCHEME);
  }

  /** Parses {@code s3://bucket/key}; anything else is refused with the offending text. */
  public static S3Path parse(String location) {
    if (!isS3(location)) {
      throw new IllegalArgumentException("not an S3 path (expected s3://bucket/key): '" + location + "'");
    }
    String rest = location.substring(SCHEME.length());
    int slash = rest.indexOf('/');
    String bucket = slash < 0 ? rest : rest.substring(0, slash);
    if (bucket.isEmpty()) {
      throw new IllegalArgumentException("S3 path '" + location + "' has no bucket (expected s3://bucket/key)");
    }
    return new S3Path(bucket, slash < 0 ? "" : rest.substring(slash + 1));
  }

  /** This path with {@code child} appended after a '/'. */
  public S3Path resolve(String child) {
    if (key.isEmpty() || key.endsWith("/")) {
      return new S3Path(bucket, key + child);
    }
    return new S3Path(bucket, key + "/" + child);
  }

  /** The key as a prefix: ending in '/' unless empty. */
  public String prefix() {
    return key.isEmpty() || key.endsWith("/") ? key : key + "/";
  }

  @Override
  public String toString() {
    return SCHEME + bucket + "/" + key;
  }
}
