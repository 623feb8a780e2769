package dev.stratus.kernels.generate;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.LinearGradient;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Rows drawn from a planted sparse logistic model: twelve one-hot features a row, drawn with a skew so some are
 * common and many rare, as in click logs. Training tests learn it back and compare with liblinear.
 */
public final class PlantedData {
  public final int features;
  public final List<SparseRow> train;
  public final List<SparseRow> test;

  public PlantedData(int features, int trainRows, int testRows, long seed) {
    this.features = features;
    Random random = new Random(seed);
    float[] planted = new float[features + 1];
    for (int k = 0; k < features; k++) {
      planted[k] = (float) random.nextGaussian();
    }
    planted[features] = -1f;
    LinearModel truth = new LinearModel(planted, LinearLoss.LOGISTIC);
    train = rows(truth, random, trainRows);
    test = rows(truth, random, testRows);
  }

  private List<SparseRow> rows(LinearModel truth, Random random, int count) {
    List<SparseRow> rows = new ArrayList<>(count);
    for (int r = 0; r < count; r++) {
      int[] idx =
          random.ints(0, 1_000_000).map(u -> (int) (features * Math.pow(u / 1e6, 2))).distinct().limit(12).sorted().toArray();
      float[] val = new float[idx.length];
      Arrays.fill(val, 1f);
      SparseRow unlabeled = new SparseRow(0, idx, val);
      float label = random.nextDouble() < LinearLoss.sigmoid(truth.margin(unlabeled)) ? 1 : 0;
      rows.add(new SparseRow(label, idx, val));
    }
    return rows;
  }
}
