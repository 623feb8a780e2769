package dev.stratus.kernels.dataset;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreException;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The object {@value #NAME} that makes a set of partitions a dataset. It is written last: a dataset without its
 * manifest does not exist, and readers read only the partitions it lists.
 *
 * @param formatVersion version of the manifest and partition layout ({@link PartitionCodec#FORMAT_VERSION})
 * @param featureCount size of the feature space: every index is below it
 * @param namedFeatures names of the leading features that are not hashed (indices 0..n-1), e.g. Criteo's I1..I13
 * @param rowCount rows in all partitions
 * @param badRecords input records skipped as malformed while this dataset was written
 * @param source what the rows came from: input files, or the dataset a transform read
 * @param partitions the partition objects, in order
 * @param scaling the scaling applied to the values, or null
 * @param users for a dataset of ratings ({@code Ratings}), the number of users: features 0 to {@code users - 1} are
 *     users, the ones after them items; null for any other dataset
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DatasetManifest(
    int formatVersion,
    long featureCount,
    List<String> namedFeatures,
    long rowCount,
    long badRecords,
    String source,
    List<PartitionInfo> partitions,
    Scaling scaling,
    Integer users)
    implements Serializable {
  public static final String NAME = "manifest.json";

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public DatasetManifest {
    namedFeatures = namedFeatures == null ? List.of() : List.copyOf(namedFeatures);
    partitions = partitions == null ? List.of() : List.copyOf(partitions);
  }

  /** A manifest with no partitions yet: what a writer knows before it has written anything. */
  public static DatasetManifest template(long featureCount, List<String> namedFeatures, String source, Scaling scaling) {
    return new DatasetManifest(
        PartitionCodec.FORMAT_VERSION, featureCount, namedFeatures, 0, 0, source, List.of(), scaling, null);
  }

  /**
   * The template of a dataset rewritten from this one row by row, read from {@code source}: the same feature layout
   * (feature space, named features, users), with {@code scaling}.
   */
  public DatasetManifest rewrittenFrom(String source, Scaling scaling) {
    return template(featureCount, namedFeatures, source, scaling).withUsers(users);
  }

  /** This manifest of a dataset of ratings among {@code users} users (null: not ratings). */
  public DatasetManifest withUsers(Integer users) {
    return new DatasetManifest(
        formatVersion, featureCount, namedFeatures, rowCount, badRecords, source, partitions, scaling, users);
  }

  /** This manifest listing {@code written}; the row count follows from them. */
  public DatasetManifest withPartitions(List<PartitionInfo> written, long skipped, long features) {
    long rows = written.stream().mapToLong(PartitionInfo::rows).sum();
    return new DatasetManifest(formatVersion, features, namedFeatures, rows, skipped, source, written, scaling, users);
  }

  public byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a manifest as JSON", e);
    }
  }

  /** Parses a manifest; {@code where} names it in errors. */
  public static DatasetManifest fromJson(byte[] json, String where) {
    DatasetManifest manifest;
    try {
      manifest = JSON.readValue(json, DatasetManifest.class);
    } catch (JsonProcessingException e) {
      throw new DatasetException(
          "the manifest " + where + " is not valid: " + e.getOriginalMessage() + "\n" + preview(json), e);
    } catch (IOException e) {
      throw new DatasetException("cannot read the manifest " + where + ": " + e.getMessage(), e);
    }
    if (manifest.formatVersion() != PartitionCodec.FORMAT_VERSION) {
      throw new DatasetException(
          "the dataset " + where + " has format version " + manifest.formatVersion() + "; this build reads version "
              + PartitionCodec.FORMAT_VERSION);
    }
    return manifest;
  }

  /** The manifest of the dataset at {@code location}; a clear error when there is none. */
  public static DatasetManifest read(ObjectStore store, S3Path location) {
    S3Path path = location.resolve(NAME);
    byte[] json;
    try {
      json = store.get(path);
    } catch (StoreException.NotFound e) {
      throw new DatasetException(
          "no dataset at " + location + ": " + path + " does not exist (a dataset exists once its manifest is written;"
              + " a load that failed or is still running has none) [" + e.getMessage() + "]");
    }
    return fromJson(json, path.toString());
  }

  private static String preview(byte[] json) {
    String text = new String(json, 0, Math.min(json.length, 200), StandardCharsets.UTF_8);
    return json.length > 200 ? text + "..." : text;
  }
}
