package dev.stratus.kernels.sgd;

import java.io.Serializable;
import java.util.Arrays;

/**
 * How many rows of each true class a classifier put in each class: {@code count(actual, predicted)}. Tallies merge, so
 * a dataset's matrix is the sum of its partitions'.
 */
public final class ConfusionMatrix implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int classes;
  /** Row-major: {@code counts[actual * classes + predicted]}. */
  private final long[] counts;

  public ConfusionMatrix(int classes) {
    if (classes < 2) {
      throw new IllegalArgumentException("a classifier has at least 2 classes, got " + classes);
    }
    this.classes = classes;
    this.counts = new long[Math.multiplyExact(classes, classes)];
  }

  public int classes() {
    return classes;
  }

  /** Counts one row of class {@code actual} put in class {@code predicted}. */
  public void add(int actual, int predicted) {
    add(actual, predicted, 1);
  }

  /** Counts {@code rows} rows of class {@code actual} put in class {@code predicted}. */
  public void add(int actual, int predicted, long rows) {
    if (actual < 0 || actual >= classes || predicted < 0 || predicted >= classes) {
      throw new IllegalArgumentException("class " + actual + " predicted as " + predicted + " is not in a matrix of "
          + classes + " classes (0 to " + (classes - 1) + ")");
    }
    counts[actual * classes + predicted] += rows;
  }

  /** Adds {@code other}'s counts to these. */
  public void merge(ConfusionMatrix other) {
    if (other.classes != classes) {
      throw new IllegalArgumentException(
          "cannot merge a confusion matrix of " + other.classes + " classes into one of " + classes);
    }
    for (int i = 0; i < counts.length; i++) {
      counts[i] += other.counts[i];
    }
  }

  /** Rows of class {@code actual} the classifier put in class {@code predicted}. */
  public long count(int actual, int predicted) {
    return counts[actual * classes + predicted];
  }

  /** Rows counted. */
  public long total() {
    return Arrays.stream(counts).sum();
  }

  /** The share of rows put in their own class; NaN for none. */
  public double accuracy() {
    long diagonal = 0;
    for (int c = 0; c < classes; c++) {
      diagonal += count(c, c);
    }
    long total = total();
    return total == 0 ? Double.NaN : (double) diagonal / total;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConfusionMatrix m && m.classes == classes && Arrays.equals(m.counts, counts);
  }

  @Override
  public int hashCode() {
    return 31 * classes + Arrays.hashCode(counts);
  }

  /** One line per true class: its counts in each predicted class, in class order. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    for (int actual = 0; actual < classes; actual++) {
      s.append(actual == 0 ? "[" : " ").append(Arrays.toString(Arrays.copyOfRange(
          counts, actual * classes, (actual + 1) * classes)));
      s.append(actual == classes - 1 ? "]" : "\n");
    }
    return s.toString();
  }
}
