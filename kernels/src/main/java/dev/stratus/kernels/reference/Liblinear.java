package dev.stratus.kernels.reference;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.ClassifierMetrics;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearModel;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The optimum of an L2-regularised linear model, found by an exact batch solver: Debian's {@code liblinear-train}
 * (with a bias feature; {@code -s 0} for logistic regression, {@code -s 3} for the hinge loss' SVM, {@code -s 1} for
 * the squared hinge's), run over a small grid of C with the best test loss kept. This is the bar our SGD is held to;
 * it is a measurement tool, never used for training.
 */
public final class Liblinear {
  public static final String TRAIN = "liblinear-train";

  private Liblinear() {}

  /** The best C of the grid, its model and what it scored on the test rows. */
  public record Optimum(double c, ClassifierMetrics test, double trainSeconds, LinearModel model) {}

  /** The optimum of logistic regression ({@code -s 0}). */
  public static Optimum bestOf(List<SparseRow> train, List<SparseRow> test, double... cGrid) throws IOException {
    return bestOf(LinearLoss.LOGISTIC, train, test, cGrid);
  }

  /** The optimum of a linear model trained on {@code loss}, its test figures in that loss. */
  public static Optimum bestOf(LinearLoss loss, List<SparseRow> train, List<SparseRow> test, double... cGrid)
      throws IOException {
    String solver = switch (loss) {
      case LOGISTIC -> "0";
      case SQUARED_HINGE -> "1";
      case HINGE -> "3";
      case MULTINOMIAL -> throw new IllegalArgumentException(
          "liblinear has no multinomial logistic regression (its -s 0 is one-vs-rest): see ScikitLearn");
    };
    return bestOf(solver, loss, train, test, cGrid);
  }

  /**
   * The optimum of L1-regularised logistic regression ({@code -s 6}: {@code |w|_1} plus C times the summed loss, the
   * bias regularised too), its model as sparse as the solver made it.
   */
  public static Optimum l1LogisticBestOf(List<SparseRow> train, List<SparseRow> test, double... cGrid)
      throws IOException {
    return bestOf("6", LinearLoss.LOGISTIC, train, test, cGrid);
  }

  private static Optimum bestOf(String solver, LinearLoss loss, List<SparseRow> train, List<SparseRow> test,
      double... cGrid) throws IOException {
    SparseRow[] testRows = test.toArray(new SparseRow[0]);
    Path dir = Files.createTempDirectory("liblinear");
    try {
      Path trainFile = writeLibsvm(dir.resolve("train.svm"), train);
      Optimum best = null;
      for (double c : cGrid) {
        Path modelFile = dir.resolve("model-" + c);
        long start = System.nanoTime();
        run(TRAIN, "-s", solver, "-B", "1", "-q", "-c", Double.toString(c), trainFile.toString(),
            modelFile.toString());
        double seconds = (System.nanoTime() - start) / 1e9;
        LinearModel model = readModel(modelFile, loss);
        ClassifierMetrics metrics = model.evaluate(testRows);
        if (best == null || metrics.loss() < best.test().loss()) {
          best = new Optimum(c, metrics, seconds, model);
        }
      }
      return best;
    } finally {
      deleteTree(dir);
    }
  }

  /**
   * LIBSVM text with 1-based indices, as liblinear and scikit-learn read it: a whole-number label (0/1 of binary
   * rows, a class of multinomial ones) written as that integer, any other as the number it is.
   */
  public static Path writeLibsvm(Path file, List<SparseRow> rows) throws IOException {
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII)) {
      StringBuilder line = new StringBuilder();
      for (SparseRow row : rows) {
        line.setLength(0);
        float label = row.label();
        if (label == (int) label) {
          line.append((int) label);
        } else {
          line.append(label);
        }
        for (int j = 0; j < row.size(); j++) {
          line.append(' ').append(row.indices()[j] + 1).append(':').append(row.values()[j]);
        }
        out.append(line).append('\n');
      }
    }
    return file;
  }

  /**
   * Reads a two-class model file of liblinear-train with a bias: a header ("label" gives the class its weights are
   * for, "nr_feature" their count), then after "w" one weight per feature and the bias weight last, as ours lays
   * them out (liblinear's feature j + 1 is our j).
   */
  static LinearModel readModel(Path file, LinearLoss loss) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
    int features = -1;
    boolean forClassOne = true;
    int at = 0;
    while (at < lines.size() && !lines.get(at).equals("w")) {
      String[] fields = lines.get(at).trim().split("\\s+");
      switch (fields[0]) {
        case "nr_feature" -> features = Integer.parseInt(fields[1]);
        case "label" -> forClassOne = fields[1].equals("1");
        case "nr_class" -> {
          if (!fields[1].equals("2")) {
            throw new IOException(file + ": a model of " + fields[1] + " classes, not 2");
          }
        }
        default -> { } // solver_type, bias
      }
      at++;
    }
    if (features < 0 || lines.size() < at + 1 + features + 1) {
      throw new IOException(file + ": no weights for " + features + " features and the bias");
    }
    float[] weights = new float[features + 1];
    for (int j = 0; j <= features; j++) {
      float w = Float.parseFloat(lines.get(at + 1 + j).trim());
      weights[j] = forClassOne ? w : -w; // the weights are for the first label: turned to class 1's
    }
    return new LinearModel(weights, loss);
  }

  static void deleteTree(Path dir) throws IOException {
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static void run(String... command) throws IOException {
    List<String> args = new ArrayList<>(List.of(command));
    Process process;
    try {
      process = new ProcessBuilder(args).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException(
          command[0] + " is not installed: it comes from Debian's liblinear-tools (apt-get install liblinear-tools)", e);
    }
    try {
      byte[] output = process.getInputStream().readAllBytes();
      if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
        throw new IOException(String.join(" ", args) + " failed: " + new String(output, StandardCharsets.UTF_8));
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command[0], e);
    }
  }
}
