package dev.stratus.dsl;

import dev.stratus.kernels.text.CriteoFormat;
import dev.stratus.kernels.text.TextFormat;

/**
 * Loads Criteo display-ads TSV (label, I1..I13 integers, C1..C26 hex categoricals, empty fields allowed) as a dataset
 * in a feature space of {@code 2^modelBits}: I1..I13 at indices 0..12, categorical values hashed above them.
 *
 * <pre>{@code
 * PCollection<Dataset> criteo = p.apply(LoadCriteo.from("data/day_0.tsv").modelBits(19).logTransform(true));
 * }</pre>
 */
public final class LoadCriteo extends LoadText<LoadCriteo> {
  private int modelBits = 20;
  private boolean logTransform = true;

  private LoadCriteo(String input) {
    super(input);
  }

  /** Reads a file, a directory, an {@code s3://} object or prefix, or a glob such as {@code data/day_*}. */
  public static LoadCriteo from(String input) {
    return new LoadCriteo(input);
  }

  /** The feature space has {@code 2^bits} indices, {@value CriteoFormat#MIN_BITS}..{@value CriteoFormat#MAX_BITS}; default 20. */
  public LoadCriteo modelBits(int bits) {
    new CriteoFormat(bits, logTransform); // refuses a bad value here, naming the option and the range
    this.modelBits = bits;
    return this;
  }

  /** Replace each integer x by log(1+x) (sign kept for negatives); default true. */
  public LoadCriteo logTransform(boolean on) {
    this.logTransform = on;
    return this;
  }

  @Override
  TextFormat format() {
    return new CriteoFormat(modelBits, logTransform);
  }

  @Override
  String describeFormat() {
    return "Criteo TSV (modelBits " + modelBits + (logTransform ? ", log transform)" : ")");
  }
}
