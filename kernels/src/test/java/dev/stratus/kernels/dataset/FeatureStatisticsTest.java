package dev.stratus.kernels.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.kernels.data.SparseRow;
import java.util.List;
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
  void codedInBulkByTheObjectFormatAndTheBeamCoder() throws Exception {
    FeatureStatistics.Builder b = FeatureStatistics.builder();
    for (int i = 0; i < 40_000; i++) { // more features than one bulk chunk holds
      b.add(new SparseRow(i % 2, new int[] {i, 3 * i + 100_000}, new float[] {i, -0.5f * i}));
    }
    FeatureStatistics s = b.build();
    assertEquals(s, FeatureStatistics.decode(s.encode(), "s"));
    FeatureStatisticsCoder coder = FeatureStatisticsCoder.of();
    assertEquals(coder, CoderRegistry.createDefault().getCoder(FeatureStatistics.class));
    assertEquals(s, CoderUtils.decodeFromByteArray(coder, CoderUtils.encodeToByteArray(coder, s)));
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
