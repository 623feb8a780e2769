package dev.stratus.kernels.reference;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.BinaryMetrics;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The optimum of L2-regularised logistic regression, found by an exact batch solver: Debian's {@code liblinear-train
 * -s 0} (with a bias feature), run over a small grid of C with the best test logloss kept. This is the bar our SGD is
 * held to; it is a measurement tool, never used for training.
 */
public final class Liblinear {
  public static final String TRAIN = "liblinear-train";
  public static final String PREDICT = "liblinear-predict";

  private Liblinear() {}

  /** The best C of the grid and what it scored on the test rows. */
  public record Optimum(double c, BinaryMetrics test, double trainSeconds) {}

  public static Optimum bestOf(List<SparseRow> train, List<SparseRow> test, double... cGrid) throws IOException {
    Path dir = Files.createTempDirectory("liblinear");
    try {
      Path trainFile = writeLibsvm(dir.resolve("train.svm"), train);
      Path testFile = writeLibsvm(dir.resolve("test.svm"), test);
      Optimum best = null;
      for (double c : cGrid) {
        Path model = dir.resolve("model-" + c);
        Path predictions = dir.resolve("pred-" + c);
        long start = System.nanoTime();
        run(TRAIN, "-s", "0", "-B", "1", "-q", "-c", Double.toString(c), trainFile.toString(), model.toString());
        double seconds = (System.nanoTime() - start) / 1e9;
        run(PREDICT, "-b", "1", "-q", testFile.toString(), model.toString(), predictions.toString());
        BinaryMetrics metrics = score(predictions, test);
        if (best == null || metrics.logloss() < best.test().logloss()) {
          best = new Optimum(c, metrics, seconds);
        }
      }
      return best;
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** LIBSVM text with 1-based indices and labels 1/0, as liblinear and scikit-learn read it. */
  public static Path writeLibsvm(Path file, List<SparseRow> rows) throws IOException {
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII)) {
      StringBuilder line = new StringBuilder();
      for (SparseRow row : rows) {
        line.setLength(0);
        line.append(row.label() > 0.5f ? '1' : '0');
        for (int j = 0; j < row.size(); j++) {
          line.append(' ').append(row.indices()[j] + 1).append(':').append(row.values()[j]);
        }
        out.append(line).append('\n');
      }
    }
    return file;
  }

  /** Reads liblinear-predict's "-b 1" output: a header naming the label order, then one probability row each. */
  private static BinaryMetrics score(Path predictions, List<SparseRow> test) throws IOException {
    List<String> lines = Files.readAllLines(predictions, StandardCharsets.US_ASCII);
    String[] header = lines.get(0).trim().split("\\s+");
    int positiveColumn = header[1].equals("1") ? 1 : 2;
    float[] labels = new float[test.size()];
    double[] probabilities = new double[test.size()];
    for (int i = 0; i < test.size(); i++) {
      String[] fields = lines.get(i + 1).trim().split("\\s+");
      labels[i] = test.get(i).label();
      probabilities[i] = Double.parseDouble(fields[positiveColumn]);
    }
    return BinaryMetrics.of(labels, probabilities, labels.length);
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
