package dev.stratus.runner.lambda.worker;

import dev.stratus.store.S3Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues.WindowedValueCoder;

/**
 * The map side of a GroupByKey: key-value elements go to the partition their encoded key hashes to, one object per
 * non-empty partition under the attempt prefix. Hashing the encoded key (GroupByKey demands a deterministic key
 * coder) sends equal keys to one partition whatever their Java hashCode.
 */
final class ShuffleWriteOperation implements Operation {
  private final AttemptOutput output;
  private final S3Path prefix;
  private final Coder<Object> keyCoder;
  private final ElementFiles.Writer<Object>[] partitions;
  private final LinkedHashMap<Integer, String> written;

  @SuppressWarnings({"unchecked", "rawtypes"})
  ShuffleWriteOperation(
      AttemptOutput output,
      Coder<WindowedValue<Object>> coder,
      int partitionCount,
      S3Path prefix,
      LinkedHashMap<Integer, String> written) {
    this.output = output;
    this.prefix = prefix;
    this.keyCoder = ((KvCoder) ((WindowedValueCoder) coder).getValueCoder()).getKeyCoder();
    this.partitions = new ElementFiles.Writer[partitionCount];
    for (int i = 0; i < partitionCount; i++) {
      partitions[i] = new ElementFiles.Writer<>(coder);
    }
    this.written = written;
  }

  static int partitionOf(byte[] encodedKey, int partitionCount) {
    return Math.floorMod(Arrays.hashCode(encodedKey), partitionCount);
  }

  @Override
  public void accept(WindowedValue<?> element) throws Exception {
    Object key = ((KV<?, ?>) element.getValue()).getKey();
    byte[] encodedKey = CoderUtils.encodeToByteArray(keyCoder, key);
    partitions[partitionOf(encodedKey, partitions.length)].add(element);
  }

  @Override
  public void finish() {
    for (int p = 0; p < partitions.length; p++) {
      if (partitions[p].count() > 0) {
        S3Path path = prefix.resolve(String.format("part-%05d", p));
        output.put(path, partitions[p].toByteArray());
        written.put(p, path.toString());
      }
    }
  }

  long count() {
    return Arrays.stream(partitions).mapToLong(ElementFiles.Writer::count).sum();
  }
}
