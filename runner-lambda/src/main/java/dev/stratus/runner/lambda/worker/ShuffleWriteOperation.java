package dev.stratus.runner.lambda.worker;

import dev.stratus.runner.lambda.message.ElementFiles;
import dev.stratus.runner.lambda.message.ShufflePart;
import dev.stratus.store.S3Path;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues.WindowedValueCoder;

/**
 * The map side of a GroupByKey: key-value elements go to the partition their encoded key hashes to. Hashing the
 * encoded key (GroupByKey demands a deterministic key coder) sends equal keys to one partition whatever their Java
 * hashCode. The partitions' buffers together stay under a bound: past it, the largest buffer goes to the store as
 * one more part of its partition, so a task's output may be far larger than its heap.
 */
final class ShuffleWriteOperation implements Operation {
  private final AttemptOutput output;
  private final S3Path prefix;
  private final Coder<Object> keyCoder;
  private final ElementFiles.Writer<Object>[] partitions;
  private final int[] partsWritten;
  private final long bufferLimitBytes;
  private final List<ShufflePart> written;
  private long buffered;
  private long count;

  @SuppressWarnings({"unchecked", "rawtypes"})
  ShuffleWriteOperation(
      AttemptOutput output,
      Coder<WindowedValue<Object>> coder,
      int partitionCount,
      S3Path prefix,
      long bufferLimitBytes,
      List<ShufflePart> written) {
    this.output = output;
    this.prefix = prefix;
    this.keyCoder = ((KvCoder) ((WindowedValueCoder) coder).getValueCoder()).getKeyCoder();
    this.partitions = new ElementFiles.Writer[partitionCount];
    for (int i = 0; i < partitionCount; i++) {
      partitions[i] = new ElementFiles.Writer<>(coder);
    }
    this.partsWritten = new int[partitionCount];
    this.bufferLimitBytes = bufferLimitBytes;
    this.written = written;
  }

  static int partitionOf(byte[] encodedKey, int partitionCount) {
    return Math.floorMod(Arrays.hashCode(encodedKey), partitionCount);
  }

  @Override
  public void accept(WindowedValue<?> element) throws Exception {
    Object key = ((KV<?, ?>) element.getValue()).getKey();
    byte[] encodedKey = CoderUtils.encodeToByteArray(keyCoder, key);
    ElementFiles.Writer<Object> partition = partitions[partitionOf(encodedKey, partitions.length)];
    long before = partition.size();
    partition.add(element);
    buffered += partition.size() - before;
    count++;
    while (buffered > bufferLimitBytes) {
      flush(largestPartition());
    }
  }

  @Override
  public void finish() {
    for (int p = 0; p < partitions.length; p++) {
      flush(p);
    }
  }

  private int largestPartition() {
    int largest = 0;
    for (int p = 1; p < partitions.length; p++) {
      if (partitions[p].size() > partitions[largest].size()) {
        largest = p;
      }
    }
    return largest;
  }

  private void flush(int p) {
    if (partitions[p].size() == 0) {
      return;
    }
    S3Path path = prefix.resolve(String.format("part-%05d-%04d", p, partsWritten[p]++));
    buffered -= partitions[p].size();
    byte[] part = partitions[p].drain();
    output.put(path, part);
    written.add(new ShufflePart(p, path.toString(), part.length));
  }

  long count() {
    return count;
  }
}
