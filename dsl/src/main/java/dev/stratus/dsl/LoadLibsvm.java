package dev.stratus.dsl;

import dev.stratus.kernels.text.LibsvmFormat;
import dev.stratus.kernels.text.TextFormat;

/**
 * Loads LIBSVM text ({@code label index:value ...}, 1-based increasing indices, labels -1/+1 or 0/1) as a dataset.
 *
 * <pre>{@code
 * PCollection<Dataset> a9a = p.apply(LoadLibsvm.from("data/a9a.txt").features(123));
 * }</pre>
 */
public final class LoadLibsvm extends LoadText<LoadLibsvm> {
  private long features;

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

  @Override
  TextFormat format() {
    return new LibsvmFormat(features);
  }

  @Override
  String describeFormat() {
    return "LIBSVM" + (features > 0 ? " (" + features + " features)" : "");
  }
}
