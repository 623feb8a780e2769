package dev.stratus.kernels.generate;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.text.CriteoFormat;
import dev.stratus.kernels.text.RowParser;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Synthetic Criteo display-ads data drawn from a planted sparse logistic model, so a learner's loss can be read against
 * the best loss possible: the planted model's own logloss on the rows it labelled (the Bayes floor).
 *
 * <p>The shape follows Criteo's: 13 count-like integer features (log-normal counts, some small negatives, each missing
 * in its own share of rows) and 26 categorical features of very different cardinalities (3 to 2,000,000 values) whose
 * values follow Zipf laws, so a few values are frequent and most are rare. The planted model: the logit is an intercept
 * plus a weight per integer feature times {@code log(1+x)}, plus a weight per categorical value; about a third of the
 * values have a non-zero weight, derived from a hash of (seed, column, value) so no table is kept. The intercept is
 * calibrated for about 25% positives, Criteo's rate. The rare values' weights are what no learner can recover from the
 * rows that exist; that gap between a learner and the floor is real, not an artefact.
 *
 * <p>Everything follows from the seed: the same seed and row count give the same bytes.
 */
public final class CriteoGenerator {
  /** Values per categorical feature: Criteo's spread of cardinalities, the largest capped at two million. */
  static final int[] CARDINALITIES = {
    1460, 583, 2_000_000, 800_000, 305, 24, 12517, 633, 3, 93145, 5683, 2_000_000, 3194,
    27, 14992, 1_500_000, 10, 5652, 2173, 4, 1_800_000, 18, 15, 286181, 105, 142572
  };
  /** Share of rows in which each categorical feature is empty, after Criteo's. */
  private static final double[] CATEGORICAL_MISSING = {
    0, 0, 0.03, 0.03, 0, 0.12, 0, 0, 0, 0.03, 0, 0.03, 0, 0, 0, 0.03, 0, 0, 0.44, 0.44, 0.03, 0.76, 0, 0.03, 0.44, 0.44
  };
  /** Share of rows in which each integer feature is empty, after Criteo's. */
  private static final double[] INTEGER_MISSING = {
    0.45, 0, 0.21, 0.22, 0.03, 0.22, 0.04, 0, 0.04, 0.45, 0.04, 0.76, 0.22
  };
  private static final double POSITIVE_RATE = 0.25;
  private static final double NONZERO_WEIGHT_SHARE = 0.35;
  private static final byte[] HEX = "0123456789abcdef".getBytes();

  private final long seed;
  private final double intercept;
  private final double[] integerWeights = new double[CriteoFormat.INTEGER_FEATURES];
  private final double[] integerLogMean = new double[CriteoFormat.INTEGER_FEATURES];
  private final double[] integerLogSpread = new double[CriteoFormat.INTEGER_FEATURES];
  private final double[] zipfExponent = new double[CriteoFormat.CATEGORICAL_FEATURES];
  private final double[] zipfRange = new double[CriteoFormat.CATEGORICAL_FEATURES];
  private final double[] categoricalWeightScale = new double[CriteoFormat.CATEGORICAL_FEATURES];

  private CriteoGenerator(long seed) {
    this.seed = seed;
    SplittableRandom model = new SplittableRandom(seed ^ 0x5DEECE66DL);
    for (int j = 0; j < integerWeights.length; j++) {
      integerWeights[j] = (model.nextDouble() * 2 - 1) * 0.35;
      integerLogMean[j] = model.nextDouble() * 4;
      integerLogSpread[j] = 0.5 + model.nextDouble() * 1.5;
    }
    for (int c = 0; c < zipfExponent.length; c++) {
      zipfExponent[c] = 1.05 + model.nextDouble() * 0.35;
      zipfRange[c] = Math.pow(CARDINALITIES[c] + 1, 1 - zipfExponent[c]) - 1;
      categoricalWeightScale[c] = 0.2 + model.nextDouble() * 0.5;
    }
    intercept = calibrateIntercept();
  }

  public static CriteoGenerator withSeed(long seed) {
    return new CriteoGenerator(seed);
  }

  /**
   * What a generation produced.
   *
   * @param rows rows written
   * @param positives rows labelled 1
   * @param bayesLogloss mean logloss of the planted model on these rows: the floor no learner reaches
   * @param baseRateLogloss mean logloss of predicting the positive rate for every row: the ceiling a learner must beat
   * @param bytes bytes written
   */
  public record Summary(long rows, long positives, double bayesLogloss, double baseRateLogloss, long bytes) {
    @Override
    public String toString() {
      return String.format(
          "%,d rows, %.1f%% positive, Bayes floor logloss %.4f (base-rate logloss %.4f), %,d bytes",
          rows, 100.0 * positives / Math.max(1, rows), bayesLogloss, baseRateLogloss, bytes);
    }
  }

  /** Writes {@code rows} rows as Criteo TSV. */
  public Summary writeTsv(Path file, long rows) {
    return write(file, rows, null);
  }

  /**
   * Writes {@code rows} rows as LIBSVM text: the rows {@code LoadCriteo.modelBits(modelBits).logTransform(log)} makes of
   * the TSV, with labels 0/1 and 1-based indices.
   */
  public Summary writeLibsvm(Path file, long rows, int modelBits, boolean logTransform) {
    return write(file, rows, new CriteoFormat(modelBits, logTransform).newParser());
  }

  private Summary write(Path file, long rows, RowParser toLibsvm) {
    SplittableRandom random = new SplittableRandom(seed);
    LineBuffer tsv = new LineBuffer();
    LineBuffer libsvm = new LineBuffer();
    long positives = 0;
    double logloss = 0;
    try (CountingOutput out = new CountingOutput(Files.newOutputStream(file))) {
      for (long r = 0; r < rows; r++) {
        tsv.clear();
        double p = sigmoid(drawRow(random, tsv));
        boolean positive = random.nextDouble() < p;
        tsv.bytes[0] = (byte) (positive ? '1' : '0');
        positives += positive ? 1 : 0;
        logloss -= Math.log(positive ? p : 1 - p);
        tsv.put('\n');
        if (toLibsvm == null) {
          out.write(tsv.bytes, 0, tsv.length);
        } else {
          libsvm.clear();
          appendLibsvm(toLibsvm.parse(tsv.bytes, 0, tsv.length - 1), libsvm);
          out.write(libsvm.bytes, 0, libsvm.length);
        }
      }
      out.flush();
      double rate = (double) positives / Math.max(1, rows);
      double baseRate = rate <= 0 || rate >= 1 ? 0 : -(rate * Math.log(rate) + (1 - rate) * Math.log(1 - rate));
      return new Summary(rows, positives, logloss / Math.max(1, rows), baseRate, out.count);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** Appends a row's TSV line without its end (label placeholder first) and returns the planted logit. */
  private double drawRow(SplittableRandom random, LineBuffer line) {
    double logit = intercept;
    line.put('0');
    for (int j = 0; j < integerWeights.length; j++) {
      line.put('\t');
      if (random.nextDouble() < INTEGER_MISSING[j]) {
        continue;
      }
      long x = Math.max(0, (long) Math.exp(integerLogMean[j] + integerLogSpread[j] * random.nextGaussian()) - 1);
      if (j == 1 && random.nextDouble() < 0.1) {
        x = -1 - random.nextInt(3); // Criteo's I2 holds a few small negatives
      }
      line.putLong(x);
      logit += integerWeights[j] * CriteoFormat.logTransform(x);
    }
    for (int c = 0; c < zipfExponent.length; c++) {
      line.put('\t');
      if (random.nextDouble() < CATEGORICAL_MISSING[c]) {
        continue;
      }
      long rank = zipfRank(c, random.nextDouble());
      long h = mix(seed, c, rank);
      line.putHex8((int) h);
      // the value's planted weight, from the other half of the same hash: non-zero for a share of the values
      double u = (h >>> 32) * 0x1.0p-32;
      if (u < NONZERO_WEIGHT_SHARE) {
        logit += (u / NONZERO_WEIGHT_SHARE * 2 - 1) * categoricalWeightScale[c] * Math.sqrt(3);
      }
    }
    return logit;
  }

  /** A rank in 1..n of the Zipf-like law of column {@code c} (continuous inverse CDF, floored). */
  private long zipfRank(int c, double u) {
    double s = zipfExponent[c];
    long rank = (long) Math.pow(1 + u * zipfRange[c], 1 / (1 - s));
    return Math.min(Math.max(rank, 1), CARDINALITIES[c]);
  }

  /** The intercept whose model labels about {@link #POSITIVE_RATE} of rows positive, by bisection on a sample. */
  private double calibrateIntercept() {
    SplittableRandom random = new SplittableRandom(seed ^ 0xCA11B8A7EL);
    double[] logits = new double[20_000];
    LineBuffer scratch = new LineBuffer();
    for (int i = 0; i < logits.length; i++) {
      scratch.clear();
      logits[i] = drawRow(random, scratch) - intercept; // intercept is still 0 here
    }
    double low = -20;
    double high = 20;
    for (int step = 0; step < 60; step++) {
      double mid = (low + high) / 2;
      double mean = Arrays.stream(logits).map(l -> sigmoid(l + mid)).average().orElse(0);
      if (mean < POSITIVE_RATE) {
        low = mid;
      } else {
        high = mid;
      }
    }
    return (low + high) / 2;
  }

  private static double sigmoid(double z) {
    return 1 / (1 + Math.exp(-z));
  }

  private static long mix(long seed, int column, long rank) {
    long z = seed * 0x9E3779B97F4A7C15L + column * 0xBF58476D1CE4E5B9L + rank * 0x94D049BB133111EBL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static void appendLibsvm(SparseRow row, LineBuffer out) {
    out.put(row.label() == 1 ? '1' : '0');
    int[] indices = row.indices();
    float[] values = row.values();
    for (int i = 0; i < indices.length; i++) {
      out.put(' ');
      out.putLong(indices[i] + 1L);
      out.put(':');
      if (values[i] == (long) values[i]) {
        out.putLong((long) values[i]);
      } else {
        out.putAscii(Float.toString(values[i]));
      }
    }
    out.put('\n');
  }

  /** A growable line of ASCII bytes with the few appends the generator needs. */
  private static final class LineBuffer {
    byte[] bytes = new byte[1024];
    int length;

    void clear() {
      length = 0;
    }

    void put(char c) {
      if (length == bytes.length) {
        bytes = Arrays.copyOf(bytes, length * 2);
      }
      bytes[length++] = (byte) c;
    }

    void putLong(long v) {
      if (v < 0) {
        put('-');
        v = -v;
      }
      int start = length;
      do {
        put((char) ('0' + v % 10));
        v /= 10;
      } while (v != 0);
      for (int i = start, j = length - 1; i < j; i++, j--) {
        byte t = bytes[i];
        bytes[i] = bytes[j];
        bytes[j] = t;
      }
    }

    void putHex8(int v) {
      for (int shift = 28; shift >= 0; shift -= 4) {
        put((char) HEX[(v >>> shift) & 0xF]);
      }
    }

    void putAscii(String s) {
      for (int i = 0; i < s.length(); i++) {
        put(s.charAt(i));
      }
    }
  }

  /** A buffered file output that counts its bytes. */
  private static final class CountingOutput extends BufferedOutputStream {
    long count;

    CountingOutput(OutputStream out) {
      super(out, 1 << 20);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
      super.write(b, off, len);
      count += len;
    }
  }

  /**
   * Generates a file: {@code CriteoGenerator [--rows N] [--seed S] [--format tsv|libsvm] [--modelBits B] --out FILE}.
   */
  public static void main(String[] args) {
    long rows = 1_000_000;
    long seed = 42;
    String format = "tsv";
    int modelBits = 19;
    Path out = null;
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : "";
      switch (args[i]) {
        case "--rows" -> rows = Long.parseLong(value.replace("_", ""));
        case "--seed" -> seed = Long.parseLong(value);
        case "--format" -> format = value;
        case "--modelBits" -> modelBits = Integer.parseInt(value);
        case "--out" -> out = Path.of(value);
        default -> {
          System.err.println("unknown argument " + args[i]);
          System.exit(2);
        }
      }
      i++;
    }
    if (out == null || !(format.equals("tsv") || format.equals("libsvm"))) {
      System.err.println(
          "usage: CriteoGenerator [--rows N] [--seed S] [--format tsv|libsvm] [--modelBits B] --out FILE");
      System.exit(2);
    }
    long started = System.nanoTime();
    CriteoGenerator generator = withSeed(seed);
    Summary summary =
        format.equals("tsv") ? generator.writeTsv(out, rows) : generator.writeLibsvm(out, rows, modelBits, true);
    System.out.printf("%s: %s in %.2f s%n", out, summary, (System.nanoTime() - started) / 1e9);
  }
}
