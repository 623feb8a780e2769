package dev.stratus.kernels.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jpountz.lz4.LZ4BlockOutputStream;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

class FeatureStatisticsTest {
  @Test
  void mergingPartsEqualsComputingTheWhole() {
    List<SparseRow> rows = PartitionCodecTest.randomRows(3000, 12);
    FeatureStatistics.Builder whole = FeatureStatistics.builder();
    FeatureStatistics.Builder first = FeatureStatistics.builder();
    FeatureStatistics.Builder second = FeatureStatistics.builder();
    for (int i = 0; i < rows.size(); i++) {
      whole.add(rows.get(i));
      (i < 1234 ? first : second).add(rows.get(i));
    }
    FeatureStatistics merged = first.build().merge(second.build());
    FeatureStatistics all = whole.build();
    assertEquals(all.rows(), merged.rows());
    assertEquals(all.size(), merged.size());
    for (int k = 0; k < all.size(); k++) {
      assertEquals(all.index(k), merged.index(k));
      assertEquals(all.present(k), merged.present(k));
      assertEquals(all.maxAbs(k), merged.maxAbs(k));
      assertEquals(all.standardDeviation(k), merged.standardDeviation(k), 1e-9);
    }
    assertEquals(merged, FeatureStatistics.decode(merged.encode(), "s"));
    assertEquals(merged, FeatureStatistics.empty().merge(merged));
  }

  @Test
  void codedAlikeByTheObjectFormatAndTheBeamCoderOverMoreThanOneChunk() throws Exception {
    FeatureStatistics.Builder b = FeatureStatistics.builder();
    for (int i = 0; i < 40_000; i++) { // more features than one chunk holds, of every kind
      b.add(new SparseRow(i % 2, new int[] {i, 3 * i + 100_000, 2_000_000_000 - i},
          new float[] {i, -0.5f * i, 1}));
    }
    b.add(new SparseRow(0, new int[] {7, Integer.MAX_VALUE}, new float[] {1, 1})); // 7 had a 7 before: not all ones
    FeatureStatistics s = b.build();
    assertEquals(s, FeatureStatistics.decode(s.encode(), "s"));
    FeatureStatisticsCoder coder = FeatureStatisticsCoder.of();
    assertEquals(coder, CoderRegistry.createDefault().getCoder(FeatureStatistics.class));
    assertEquals(s, CoderUtils.decodeFromByteArray(coder, CoderUtils.encodeToByteArray(coder, s)));
  }

  /** A runner's element files hold coded elements back to back: each decode takes its own bytes, no more. */
  @Test
  void theBeamCoderReadsOneElementOfAStreamExactly() throws Exception {
    FeatureStatistics first = FeatureStatistics.builder()
        .add(new SparseRow(1, new int[] {3, 40_000}, new float[] {1, 2.5f})).build();
    FeatureStatistics second = FeatureStatistics.builder()
        .add(new SparseRow(0, new int[] {5}, new float[] {-1})).build();
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    FeatureStatisticsCoder.of().encode(first, stream);
    FeatureStatisticsCoder.of().encode(second, stream);
    ByteArrayInputStream in = new ByteArrayInputStream(stream.toByteArray());
    assertEquals(first, FeatureStatisticsCoder.of().decode(in));
    assertEquals(second, FeatureStatisticsCoder.of().decode(in));
    assertEquals(-1, in.read());
  }

  /**
   * Features whose every value was 1, as one-hot and hashed categorical ones are, take a few bytes each: 200,000 of
   * them over 50,000 rows of twenty, where the arrays in bulk took 44 bytes a feature.
   */
  @Test
  void oneHotFeaturesTakeAFewBytesEach() throws Exception {
    FeatureStatistics.Builder b = FeatureStatistics.builder();
    Random random = new Random(5);
    for (int row = 0; row < 50_000; row++) {
      int[] indices = random.ints(0, 200_000).distinct().limit(20).sorted().toArray();
      float[] ones = new float[indices.length];
      Arrays.fill(ones, 1);
      b.add(new SparseRow(row % 2, indices, ones));
    }
    FeatureStatistics s = b.build();
    byte[] coded = CoderUtils.encodeToByteArray(FeatureStatisticsCoder.of(), s);
    double perFeature = (double) coded.length / s.size();
    assertTrue(perFeature < 4, coded.length + " bytes for " + s.size() + " features: " + perFeature + " a feature");
    assertEquals(s, CoderUtils.decodeFromByteArray(FeatureStatisticsCoder.of(), coded));
    int k = s.find(s.index(s.size() / 2));
    assertEquals(1, s.max(k));
    assertEquals((double) s.present(k) / s.rows(), s.mean(k), 1e-12);
  }

  /** Statistics objects stored before the compact layout, the arrays in bulk, still read. */
  @Test
  void anObjectStoredInTheBulkLayoutStillReads() throws Exception {
    FeatureStatistics s = FeatureStatistics.builder()
        .add(new SparseRow(1, new int[] {3, 9}, new float[] {4, 1}))
        .add(new SparseRow(0, new int[] {3}, new float[] {-2}))
        .build();
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(raw);
    out.writeInt(0x31545346); // "FST1"
    out.writeLong(2);
    out.writeInt(2);
    out.writeInt(3);
    out.writeInt(9);
    out.writeLong(2);
    out.writeLong(1);
    for (double[] column : new double[][] {{-2, 1}, {4, 1}, {2, 1}, {20, 1}}) { // min, max, sum, sum of squares
      out.writeDouble(column[0]);
      out.writeDouble(column[1]);
    }
    ByteArrayOutputStream stored = new ByteArrayOutputStream();
    try (LZ4BlockOutputStream lz4 = new LZ4BlockOutputStream(stored)) {
      lz4.write(raw.toByteArray());
    }
    assertEquals(s, FeatureStatistics.decode(stored.toByteArray(), "old"));
  }

  @Test
  void aChunkCutShortFailsNamingTheObject() throws Exception {
    FeatureStatistics s = FeatureStatistics.builder().add(new SparseRow(1, new int[] {3}, new float[] {4})).build();
    byte[] coded = CoderUtils.encodeToByteArray(FeatureStatisticsCoder.of(), s);
    ByteBuffer cut = ByteBuffer.wrap(Arrays.copyOf(coded, coded.length - 3));
    cut.putInt(16, cut.getInt(16) - 3); // the chunk's length, after the 16 bytes of header
    DatasetException e = assertThrows(DatasetException.class,
        () -> FeatureStatistics.readFrom(new ByteArrayInputStream(cut.array()), "s3://b/stats"));
    assertTrue(e.getMessage().contains("s3://b/stats") && e.getMessage().contains("ends inside a feature"),
        e.getMessage());
  }

  @Test
  void absentValuesCountAsZeros() {
    FeatureStatistics s = FeatureStatistics.builder()
        .add(new SparseRow(1, new int[] {3}, new float[] {4}))
        .add(new SparseRow(0, new int[] {3}, new float[] {2}))
        .add(new SparseRow(0, new int[0], new float[0]))
        .add(new SparseRow(0, new int[] {9}, new float[] {-1}))
        .build();
    int k = s.find(3);
    assertEquals(4, s.rows());
    assertEquals(0, s.min(k)); // absent in two rows
    assertEquals(4, s.max(k));
    assertEquals(1.5, s.mean(k), 1e-12);
    // values 4, 2, 0, 0: variance (16 + 4) / 4 - 1.5^2 = 2.75
    assertEquals(Math.sqrt(2.75), s.standardDeviation(k), 1e-12);
    assertEquals(1, s.maxAbs(s.find(9)));
    assertEquals(0, s.max(s.find(9)));
  }
}
