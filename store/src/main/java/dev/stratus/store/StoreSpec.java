package dev.stratus.store;

import java.io.Serializable;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where objects live: a serializable description from which any JVM (the driver, a Beam worker, a Lambda
 * environment) opens the same store.
 *
 * <p>Three kinds: the embedded S3-compatible server started in-process over a local directory (the default, so data
 * outlives the run), any S3-compatible endpoint with static credentials, and AWS S3 itself with the SDK's default
 * credential chain.
 *
 * <p>A spec may hold a secret key: it travels only in memory, invocation payloads, standard input or environment
 * variables, never on a command line or in a stored object; {@link #toString()} leaves it out.
 */
public final class StoreSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String embeddedDir; // non-null for the embedded server
  private final String endpoint; // null for AWS's own endpoints
  private final String region;
  private final String accessKey; // null: the SDK's default credential chain
  private final String secretKey;

  private StoreSpec(String embeddedDir, String endpoint, String region, String accessKey, String secretKey) {
    this.embeddedDir = embeddedDir;
    this.endpoint = endpoint;
    this.region = region;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
  }

  /**
   * The embedded S3-compatible server over {@code dataDir}, started in this JVM on first use with credentials made at
   * random, which only this JVM knows and hands on.
   */
  public static StoreSpec embedded(Path dataDir) {
    return embedded(dataDir, null, null);
  }

  /**
   * The embedded server over {@code dataDir}, accepting only {@code accessKey} and {@code secretKey} (both null:
   * credentials made at random when it starts).
   */
  public static StoreSpec embedded(Path dataDir, String accessKey, String secretKey) {
    if ((accessKey == null) != (secretKey == null)) {
      throw new IllegalArgumentException("the embedded store's access key and secret key go together");
    }
    return new StoreSpec(dataDir.toAbsolutePath().normalize().toString(), null, "us-east-1", accessKey, secretKey);
  }

  /** An S3-compatible server at {@code endpoint} with static credentials. */
  public static StoreSpec endpoint(URI endpoint, String region, String accessKey, String secretKey) {
    return new StoreSpec(null, endpoint.toString(), region, accessKey, secretKey);
  }

  /** AWS S3 in {@code region}, credentials from the SDK's default chain. */
  public static StoreSpec aws(String region) {
    return new StoreSpec(null, null, region, null, null);
  }

  public boolean isEmbedded() {
    return embeddedDir != null;
  }

  /**
   * How a process other than this one reaches the store, as plain fields (endpoint absent: AWS's own), for messages
   * that carry no Java-serialized objects. An embedded store lives in this JVM and has none.
   */
  public Map<String, String> workerFields() {
    if (isEmbedded()) {
      throw new IllegalArgumentException("another process cannot open " + describe() + " (it lives in the driver's"
          + " JVM): pass the store as workers reach it, ObjectStore.reachableSpec()");
    }
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("region", region);
    if (endpoint != null) {
      fields.put("endpoint", endpoint);
    }
    if (accessKey != null) {
      fields.put("accessKey", accessKey);
      fields.put("secretKey", secretKey);
    }
    return fields;
  }

  /** The store {@link #workerFields()} describes; {@code where} names the message, for the error. */
  public static StoreSpec fromWorkerFields(Map<String, String> fields, String where) {
    String region = fields.get("region");
    if (region == null) {
      throw new IllegalArgumentException(where + ": the store's fields have no region: " + fields.keySet());
    }
    String endpoint = fields.get("endpoint");
    return endpoint == null
        ? aws(region)
        : endpoint(URI.create(endpoint), region, fields.get("accessKey"), fields.get("secretKey"));
  }

  /** The data directory of the embedded server; only for {@link #isEmbedded()} specs. */
  public Path embeddedDir() {
    return Path.of(embeddedDir);
  }

  public URI endpoint() {
    return endpoint == null ? null : URI.create(endpoint);
  }

  public String region() {
    return region;
  }

  /** The static access key, or null for the SDK's default credential chain (or an embedded server's own). */
  public String accessKey() {
    return accessKey;
  }

  /** The static secret key, or null for the SDK's default credential chain. */
  public String secretKey() {
    return secretKey;
  }

  /** Where a human should look: the directory, the endpoint, or "AWS S3 (region)". */
  public String describe() {
    if (isEmbedded()) {
      return "the embedded store over " + embeddedDir;
    }
    return endpoint != null ? "the S3 endpoint " + endpoint : "AWS S3 (" + region + ")";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StoreSpec s
        && Objects.equals(embeddedDir, s.embeddedDir)
        && Objects.equals(endpoint, s.endpoint)
        && Objects.equals(region, s.region)
        && Objects.equals(accessKey, s.accessKey)
        && Objects.equals(secretKey, s.secretKey);
  }

  @Override
  public int hashCode() {
    return Objects.hash(embeddedDir, endpoint, region, accessKey);
  }

  @Override
  public String toString() {
    return describe();
  }
}
