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
 * Rows drawn from a planted sparse logistic model (binary, or multinomial over K classes): twelve one-hot features a
 * row, drawn with a skew so some are common and many rare, as in click logs. Training tests learn it back and compare
 * with an exact solver.
 */
public final class PlantedData {
  public final int features;
  public final int classes;
  /** The model the labels were drawn from. */
  public final LinearModel truth;
  public final List<SparseRow> train;
  public final List<SparseRow> test;

  /** Two classes, labelled by a planted logistic regression. */
  public PlantedData(int features, int trainRows, int testRows, long seed) {
    this(features, 2, trainRows, testRows, seed);
  }

  /**
   * {@code classes} classes: two as the binary constructor, more labelled by a planted multinomial model whose
   * weights, one per feature and class, are standard normal.
   */
  public PlantedData(int features, int classes, int trainRows, int testRows, long seed) {
    this.features = features;
    this.classes = classes;
    Random random = new Random(seed);
    if (classes == 2) {
      float[] planted = new float[features + 1];
      for (int k = 0; k < features; k++) {
        planted[k] = (float) random.nextGaussian();
      }
      planted[features] = -1f;
      truth = new LinearModel(planted, LinearLoss.LOGISTIC);
    } else {
      float[] planted = new float[(features + 1) * classes];
      for (int k = 0; k < features * classes; k++) {
        planted[k] = (float) random.nextGaussian();
      }
      truth = new LinearModel(planted, LinearLoss.MULTINOMIAL, classes);
    }
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
      rows.add(new SparseRow(label(truth, unlabeled, random.nextDouble()), idx, val));
    }
    return rows;
  }

  /** The class whose share of the model's probabilities {@code uniform} falls in. */
  private static float label(LinearModel truth, SparseRow row, double uniform) {
    if (truth.columns() == 1) {
      return uniform < LinearLoss.sigmoid(truth.margin(row)) ? 1 : 0;
    }
    double[] p = new double[truth.columns()];
    truth.margins(row, p);
    LinearLoss.softmaxInPlace(p, p.length);
    double below = 0;
    for (int c = 0; c < p.length - 1; c++) {
      below += p[c];
      if (uniform < below) {
        return c;
      }
    }
    return p.length - 1;
  }
}
