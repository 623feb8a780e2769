package dev.stratus.dsl;

import dev.stratus.kernels.text.LibsvmFormat;
import dev.stratus.kernels.text.TextFormat;
import java.util.StringJoiner;

/**
 * Loads LIBSVM text ({@code label index:value ...}, 1-based increasing indices) as a dataset. Labels are -1/+1 or 0/1
 * for a binary model; with {@link #classes classes(K)}, whole labels 0..K-1.
 *
 * <pre>{@code
 * PCollection<Dataset> a9a = p.apply(LoadLibsvm.from("data/a9a.txt").features(123));
 * }</pre>
 */
public final class LoadLibsvm extends LoadText<LoadLibsvm> {
  private long features;
  private int classes;

  private LoadLibsvm(String input) {
    super(input);
  }

  /** Reads a file, a directory, an {@code s3://} object or prefix, or a glob such as {@code data/part-*.svm}. */
  public static LoadLibsvm from(String input) {
    return new LoadLibsvm(input);
  }

  /** Declares the feature space (indices 1..n, larger ones are malformed); by default the largest index found. */
  public LoadLibsvm features(long n) {
    if (n < 1 || n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("features must be in 1.." + Integer.MAX_VALUE + ", got " + n);
    }
    this.features = n;
    return this;
  }

  /**
   * Declares {@code count} classes (2..1,000,000) for a multi-class model: a label that is not a whole number below
   * {@code count} is a malformed record, so a stray one is caught here rather than in training. -1 still reads as 0.
   */
  public LoadLibsvm classes(int count) {
    this.classes = Checks.inRange("classes", count, 2, LibsvmFormat.MAX_CLASSES);
    return this;
  }

  @Override
  TextFormat format() {
    return new LibsvmFormat(features, classes);
  }

  @Override
  String describeFormat() {
    StringJoiner settings = new StringJoiner(", ", " (", ")").setEmptyValue("");
    if (features > 0) {
      settings.add(features + " features");
    }
    if (classes > 0) {
      settings.add(classes + " classes");
    }
    return "LIBSVM" + settings;
  }
}
