package dev.stratus.kernels.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.FeatureStatistics;
import dev.stratus.kernels.dataset.ScalingMethod;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PreprocessKernelsTest {
  static final SparseRow A = new SparseRow(1, new int[] {0, 5}, new float[] {4, -2});
  static final SparseRow B = new SparseRow(0, new int[] {0, 7}, new float[] {2, 3});

  @Test
  void minMaxDividesByTheLargestMagnitudeAndKeepsZeros() {
    FeatureStatistics s = FeatureStatistics.builder().add(A).add(B).build();
    FeatureScaler scaler = new FeatureScaler(s, ScalingMethod.MIN_MAX_SCALING);
    assertEquals(new SparseRow(1, new int[] {0, 5}, new float[] {1, -1}), scaler.scale(A));
    assertEquals(new SparseRow(0, new int[] {0, 7}, new float[] {0.5f, 1}), scaler.scale(B));
    SparseRow unseen = new SparseRow(0, new int[] {9}, new float[] {42});
    assertEquals(unseen, scaler.scale(unseen));
  }

  @Test
  void standardDividesByTheDeviationOverAllRows() {
    FeatureStatistics s = FeatureStatistics.builder().add(A).add(B).build();
    SparseRow scaled = new FeatureScaler(s, ScalingMethod.STANDARD).scale(A);
    // feature 0: values 4, 2 -> sd 1; feature 5: values -2, 0 -> sd 1
    assertArrayEquals(new float[] {4, -2}, scaled.values());
  }

  @Test
  void splitIsDeterministicAndNearTheFraction() {
    Random random = new Random(1);
    List<SparseRow> rows = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      rows.add(new SparseRow(random.nextInt(2), new int[] {i, i + 1 + random.nextInt(9)}, new float[] {1, 1}));
    }
    RowSplitter splitter = new RowSplitter(0.8, 7);
    long first = rows.stream().filter(splitter::first).count();
    assertEquals(0.8, first / 20_000.0, 0.015);
    RowSplitter again = new RowSplitter(0.8, 7);
    assertTrue(rows.stream().allMatch(r -> splitter.first(r) == again.first(r)));
    RowSplitter otherSeed = new RowSplitter(0.8, 8);
    assertTrue(rows.stream().anyMatch(r -> splitter.first(r) != otherSeed.first(r)));
    assertThrows(IllegalArgumentException.class, () -> new RowSplitter(1.0, 0));
  }

  @Test
  void rehashingKeepsNamedFeaturesAndStaysInRange() {
    FeatureRehasher rehasher = new FeatureRehasher(4, 3);
    SparseRow row = new SparseRow(1, new int[] {0, 2, 100, 5000, 70000}, new float[] {1, 2, 3, 4, 5});
    SparseRow rehashed = rehasher.rehash(row);
    assertEquals(0, rehashed.indices()[0]);
    assertEquals(2, rehashed.indices()[1]);
    float sum = 0;
    for (int i = 0; i < rehashed.size(); i++) {
      assertTrue(rehashed.indices()[i] < 16);
      assertTrue(i == 0 || rehashed.indices()[i] > rehashed.indices()[i - 1]);
      sum += rehashed.values()[i];
    }
    assertEquals(15f, sum);
  }
}
