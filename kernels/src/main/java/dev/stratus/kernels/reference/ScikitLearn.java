package dev.stratus.kernels.reference;

import dev.stratus.kernels.data.SparseRow;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * scikit-learn, run by Debian's {@code /usr/bin/python3} (package {@code python3-sklearn}): the optimum of L2-regularised
 * multinomial logistic regression by its exact batch solver, over a small grid of C with the best test loss kept, and
 * its bundled digits. Like {@link Liblinear}, a measurement tool, never used for training. The script it runs is the
 * resource {@code scikit_learn.py} beside this class; rows go to it as LIBSVM files, results come back as one line
 * on its standard output and the weights as a binary file.
 */
public final class ScikitLearn {
  public static final String PYTHON = "/usr/bin/python3";

  private static final String SCRIPT = "scikit_learn.py";
  private static final int SCIKIT_LEARN_MISSING = 3; // the script's exit status when it cannot import scikit-learn
  private static final String INSTALL = "it comes from Debian's python3-sklearn (apt-get install python3-sklearn)";

  private ScikitLearn() {}

  /**
   * The best C of the grid, what its model scored on the test rows (log loss, the fraction predicted right), the
   * seconds its fit took, and the model: {@code featureCount + 1} rows of {@code classes} weights, row-major
   * ({@code weights[f * classes + c]} is feature f's weight for class c), the intercepts last; featureCount is the
   * largest feature index of the train and test rows plus one.
   */
  public record Optimum(double c, double testLoss, double testAccuracy, double trainSeconds, float[] weights) {}

  /**
   * The optimum of multinomial logistic regression: scikit-learn's {@code LogisticRegression(multi_class=
   * "multinomial", solver="lbfgs")} with an intercept, fitted on {@code train} at each C of the grid, scored on
   * {@code test} by {@code log_loss}. Labels are the classes 0 to {@code classes - 1}, each in the training rows.
   */
  public static Optimum multinomialBestOf(int classes, List<SparseRow> train, List<SparseRow> test, double... cGrid)
      throws IOException {
    if (classes < 2 || train.isEmpty() || test.isEmpty() || cGrid.length == 0) {
      throw new IllegalArgumentException("multinomial regression needs 2 classes or more, training and test rows and"
          + " a C: " + classes + " classes, " + train.size() + " and " + test.size() + " rows, " + cGrid.length + " Cs");
    }
    boolean[] trained = classesOf(classes, train);
    classesOf(classes, test);
    for (int c = 0; c < classes; c++) {
      if (!trained[c]) {
        throw new IllegalArgumentException("no training row of class " + c + ": the solver would not know it");
      }
    }
    int features = Math.max(featureCount(train), featureCount(test));
    Path dir = Files.createTempDirectory("scikit-learn");
    try {
      Path weightsFile = dir.resolve("weights.f32");
      List<String> args = new ArrayList<>(List.of("multinomial", Integer.toString(classes), Integer.toString(features),
          Liblinear.writeLibsvm(dir.resolve("train.svm"), train).toString(),
          Liblinear.writeLibsvm(dir.resolve("test.svm"), test).toString(), weightsFile.toString()));
      for (double c : cGrid) {
        args.add(Double.toString(c));
      }
      String line = run(dir, args).strip();
      String[] best = line.split("\t");
      if (best.length != 4) {
        throw new IOException("scikit-learn's best C came as '" + line + "', not C, loss, accuracy and seconds");
      }
      ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(weightsFile)).order(ByteOrder.LITTLE_ENDIAN);
      float[] weights = new float[(features + 1) * classes];
      if (bytes.remaining() != weights.length * Float.BYTES) {
        throw new IOException("scikit-learn wrote " + bytes.remaining() + " bytes of weights, not " + weights.length
            + " floats");
      }
      bytes.asFloatBuffer().get(weights);
      return new Optimum(Double.parseDouble(best[0]), Double.parseDouble(best[1]), Double.parseDouble(best[2]),
          Double.parseDouble(best[3]), weights);
    } finally {
      Liblinear.deleteTree(dir);
    }
  }

  /**
   * scikit-learn's bundled digits ({@code load_digits}) in its order: 1,797 images of 8 by 8 pixels, each pixel
   * divided by 16 (into [0, 1]) as feature {@code 8 * row + column}, zeros left out; the labels are the digits 0 to 9.
   */
  public static List<SparseRow> digits() throws IOException {
    Path dir = Files.createTempDirectory("scikit-learn");
    try {
      List<SparseRow> rows = new ArrayList<>();
      for (String line : run(dir, List.of("digits")).split("\n")) {
        String[] fields = line.split(" ");
        int[] indices = new int[fields.length - 1];
        float[] values = new float[fields.length - 1];
        int size = 0;
        for (int f = 1; f < fields.length; f++) {
          int pixel = Integer.parseInt(fields[f]);
          if (pixel != 0) {
            indices[size] = f - 1;
            values[size++] = pixel / 16f;
          }
        }
        rows.add(new SparseRow(Float.parseFloat(fields[0]), Arrays.copyOf(indices, size), Arrays.copyOf(values, size)));
      }
      return rows;
    } finally {
      Liblinear.deleteTree(dir);
    }
  }

  /** Which of the classes the rows' labels name, each label checked to be one. */
  private static boolean[] classesOf(int classes, List<SparseRow> rows) {
    boolean[] seen = new boolean[classes];
    for (SparseRow row : rows) {
      int label = (int) row.label();
      if (label != row.label() || label < 0 || label >= classes) {
        throw new IllegalArgumentException("a label of " + row.label() + ", not a class of 0 to " + (classes - 1));
      }
      seen[label] = true;
    }
    return seen;
  }

  private static int featureCount(List<SparseRow> rows) {
    int count = 0;
    for (SparseRow row : rows) {
      if (row.size() > 0) {
        count = Math.max(count, row.indices()[row.size() - 1] + 1);
      }
    }
    return count;
  }

  /** Runs the script in {@code dir} with {@code args}; returns its standard output, its errors kept in a file there. */
  private static String run(Path dir, List<String> args) throws IOException {
    Path script = dir.resolve(SCRIPT);
    try (InputStream in = ScikitLearn.class.getResourceAsStream(SCRIPT)) {
      Files.write(script, in.readAllBytes());
    }
    Path errors = dir.resolve("stderr");
    List<String> command = new ArrayList<>(List.of(PYTHON, script.toString()));
    command.addAll(args);
    Process process;
    try {
      process = new ProcessBuilder(command).redirectError(errors.toFile()).start();
    } catch (IOException e) {
      throw new IOException(PYTHON + " with scikit-learn is not installed: " + INSTALL, e);
    }
    try {
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(10, TimeUnit.MINUTES)) {
        throw new IOException("scikit-learn's " + args.get(0) + " ran past 10 minutes");
      }
      if (process.exitValue() == SCIKIT_LEARN_MISSING) {
        throw new IOException(PYTHON + " cannot import scikit-learn (" + Files.readString(errors).strip() + "): "
            + INSTALL);
      }
      if (process.exitValue() != 0) {
        throw new IOException(String.join(" ", command) + " failed: " + Files.readString(errors).strip());
      }
      return output;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running scikit-learn's " + args.get(0), e);
    } finally {
      process.destroyForcibly();
    }
  }
}
