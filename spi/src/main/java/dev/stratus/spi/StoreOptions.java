package dev.stratus.spi;

import dev.stratus.store.StoreSpec;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Where a pipeline's data lives. With no options the embedded S3-compatible store runs in-process over
 * {@code --dataDir}, so data outlives the run; {@code --storeEndpoint} names any S3-compatible server, and
 * {@code --storeEndpoint=aws} AWS S3 itself. DoFns read these options at run time and open the store there, so the
 * same pipeline runs in the driver, on Beam workers or in Lambda.
 */
public interface StoreOptions extends PipelineOptions {
  /** The value of {@code --storeEndpoint} that means AWS S3, with the SDK's own endpoints. */
  String AWS = "aws";

  @Description("S3-compatible endpoint (http://host:port), 'aws' for AWS S3, or empty for the embedded store over"
      + " --dataDir")
  @Default.String("")
  String getStoreEndpoint();

  void setStoreEndpoint(String endpoint);

  @Description("Region of the store")
  @Default.String("us-east-1")
  String getStoreRegion();

  void setStoreRegion(String region);

  @Description("Access key of the store; empty: the AWS SDK's default credential chain, or for the embedded store"
      + " credentials it makes at random when it starts")
  @Default.String("")
  String getStoreAccessKey();

  void setStoreAccessKey(String accessKey);

  @Description("Secret key of the store (prefer setting it in code or through the environment over a command line);"
      + " empty: as for --storeAccessKey")
  @Default.String("")
  String getStoreSecretKey();

  void setStoreSecretKey(String secretKey);

  @Description("Directory of the embedded store (used when --storeEndpoint is empty)")
  @Default.String("data")
  String getDataDir();

  void setDataDir(String dataDir);

  @Description("Bucket for datasets written without an explicit location")
  @Default.String("stratus")
  String getBucket();

  void setBucket(String bucket);

  /** The store these options name; a bad value is refused with a message naming the option. */
  static StoreSpec spec(StoreOptions options) {
    checkBucket(options.getBucket(), "--bucket");
    String region = options.getStoreRegion();
    if (region == null || !region.matches("[a-z0-9-]+")) {
      throw new IllegalArgumentException("--storeRegion: '" + region + "' is not a region name such as us-east-1");
    }
    String accessKey = emptyToNull(options.getStoreAccessKey());
    String secretKey = emptyToNull(options.getStoreSecretKey());
    if ((accessKey == null) != (secretKey == null)) {
      throw new IllegalArgumentException(
          "--storeAccessKey and --storeSecretKey go together: give both, or neither for the default credential chain");
    }
    String endpoint = emptyToNull(options.getStoreEndpoint());
    if (endpoint == null) {
      String dir = options.getDataDir();
      if (dir == null || dir.isBlank()) {
        throw new IllegalArgumentException("--dataDir must name a directory for the embedded store");
      }
      return StoreSpec.embedded(Path.of(dir), accessKey, secretKey);
    }
    if (endpoint.equals(AWS)) {
      return accessKey == null
          ? StoreSpec.aws(region)
          : StoreSpec.endpoint(URI.create("https://s3." + region + ".amazonaws.com"), region, accessKey, secretKey);
    }
    URI uri;
    try {
      uri = new URI(endpoint);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("--storeEndpoint: '" + endpoint + "' is not a URL (" + e.getReason() + ")");
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
      throw new IllegalArgumentException(
          "--storeEndpoint: '" + endpoint + "' is not an http(s) URL such as http://localhost:9000 (or 'aws', or empty"
              + " for the embedded store)");
    }
    return StoreSpec.endpoint(uri, region, accessKey, secretKey);
  }

  /** Refuses a bucket name S3 would refuse, with S3's rules in the message; {@code option} names where it came from. */
  static void checkBucket(String bucket, String option) {
    if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]") || bucket.contains("..")) {
      throw new IllegalArgumentException(option + ": '" + bucket + "' is not a valid bucket name (3 to 63 characters:"
          + " lowercase letters, digits, '-' and '.', starting and ending with a letter or digit)");
    }
  }

  private static String emptyToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
