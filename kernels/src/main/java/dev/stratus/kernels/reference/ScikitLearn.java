package dev.stratus.kernels.reference;

import dev.stratus.kernels.data.Ratings;
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
 * its bundled digits; and, in the numpy it brings, the optimum of biased matrix factorization by alternating least
 * squares over a grid of lambda. Like {@link Liblinear}, these are measurement tools, never used for training. The
 * script it runs is the resource {@code scikit_learn.py} beside this class; rows go to it as LIBSVM files, ratings as
 * binary ones, results come back as one line on its standard output and the weights as a binary file.
 */
public final class ScikitLearn {
  public static final String PYTHON = "/usr/bin/python3";

  private static final String SCRIPT = "scikit_learn.py";
  private static final int SCIKIT_LEARN_MISSING = 3; // the script's exit status when it cannot import scikit-learn
  private static final int RATING_BYTES = 12; // a rating's record for the script: int32 user and item, float32 rating
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
      double[] best = numbers(dir, args, "C", "loss", "accuracy", "seconds");
      ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(weightsFile)).order(ByteOrder.LITTLE_ENDIAN);
      float[] weights = new float[(features + 1) * classes];
      if (bytes.remaining() != weights.length * Float.BYTES) {
        throw new IOException("scikit-learn wrote " + bytes.remaining() + " bytes of weights, not " + weights.length
            + " floats");
      }
      bytes.asFloatBuffer().get(weights);
      return new Optimum(best[0], best[1], best[2], best[3], weights);
    } finally {
      Liblinear.deleteTree(dir);
    }
  }

  /**
   * The best lambda of the grid, what its model scored on the test ratings (RMSE and mean absolute error), and the
   * seconds its fit took.
   */
  public record AlsOptimum(double lambda, double testRmse, double testMae, double trainSeconds) {}

  /**
   * The optimum of biased matrix factorization: the model {@code mu + b_u + b_i + p_u . q_i} of rank {@code rank}, mu
   * the mean training rating, minimising the training ratings' squared errors plus {@code lambda * (sum_u n_u (|p_u|^2
   * + b_u^2) + sum_i n_i (|q_i|^2 + b_i^2))}, n their rating counts (weighted-lambda regularisation), fitted at each
   * lambda of the grid by alternating least squares (exact ridge solves of every user's factors and bias, then every
   * item's, from a fixed random start, until a sweep lowers the objective by less than a millionth of it; an
   * IOException if 500 sweeps do not), scored on {@code test}; the lowest test RMSE is kept, the first of equals. A
   * user or an item without training ratings predicts from mu and the other side's bias. Rows are {@link Ratings}' of
   * {@code users} users and {@code items} items; any other is refused.
   */
  public static AlsOptimum alsBestOf(int users, int items, int rank, List<SparseRow> train, List<SparseRow> test,
      double... lambdaGrid) throws IOException {
    if (users < 1 || items < 1 || rank < 1 || train.isEmpty() || test.isEmpty() || lambdaGrid.length == 0) {
      throw new IllegalArgumentException("matrix factorization needs users, items, a rank of 1 or more, training and"
          + " test ratings and a lambda: " + users + " users, " + items + " items, rank " + rank + ", " + train.size()
          + " and " + test.size() + " ratings, " + lambdaGrid.length + " lambdas");
    }
    for (double lambda : lambdaGrid) {
      // Without a penalty, a user or an item with fewer ratings than rank + 1 has no unique solve.
      if (!Double.isFinite(lambda) || lambda <= 0) {
        throw new IllegalArgumentException("lambda " + lambda + " is not a positive number");
      }
    }
    Path dir = Files.createTempDirectory("scikit-learn");
    try {
      List<String> args = new ArrayList<>(List.of("als", Integer.toString(users), Integer.toString(items),
          Integer.toString(rank), writeRatings(dir.resolve("train.ratings"), train, users, items).toString(),
          writeRatings(dir.resolve("test.ratings"), test, users, items).toString()));
      for (double lambda : lambdaGrid) {
        args.add(Double.toString(lambda));
      }
      double[] best = numbers(dir, args, "lambda", "RMSE", "MAE", "seconds");
      return new AlsOptimum(best[0], best[1], best[2], best[3]);
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

  /**
   * Writes rating rows as the script reads them, little-endian records of int32 user, int32 item, float32 rating;
   * refuses a row that is not a rating of one of the users and items.
   */
  private static Path writeRatings(Path file, List<SparseRow> rows, int users, int items) throws IOException {
    ByteBuffer records = ByteBuffer.allocate(rows.size() * RATING_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (SparseRow row : rows) {
      int user = Ratings.user(row);
      int item = Ratings.item(row, users);
      if (user < 0 || user >= users || item < 0 || item >= items || row.values()[0] != 1 || row.values()[1] != 1) {
        throw new IllegalArgumentException("not a rating of " + users + " users and " + items + " items: " + row);
      }
      records.putInt(user).putInt(item).putFloat(row.label());
    }
    return Files.write(file, records.array());
  }

  /** Runs the script and reads the one line it prints, the tab-separated numbers {@code names}. */
  private static double[] numbers(Path dir, List<String> args, String... names) throws IOException {
    String line = run(dir, args).strip();
    String[] fields = line.split("\t");
    if (fields.length != names.length) {
      throw new IOException("scikit-learn's " + args.get(0) + " printed '" + line + "', not "
          + String.join(", ", names));
    }
    return Arrays.stream(fields).mapToDouble(Double::parseDouble).toArray();
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
