package dev.stratus.benchmarks.training;

import dev.stratus.benchmarks.Machine;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.reference.Liblinear;
import dev.stratus.kernels.sgd.ClassifierMetrics;
import dev.stratus.kernels.sgd.LocalSgd;
import dev.stratus.ps.Optimizer;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Our single-threaded SGD kernel over rows in memory (no parameter server) beside scikit-learn's
 * {@code SGDClassifier(loss="log_loss")} over the same rows (the best of a small grid of its learning-rate settings),
 * with liblinear's exact optimum as the reference loss. Both run the same number of epochs; only the training loop
 * is timed, the fastest of a few runs of each setting on each side, ours after a run that compiles it.
 *
 * <pre>mvn -q -pl benchmarks exec:java@sgd-kernel [-Dexec.args="--rows 1000000 --epochs 2"]</pre>
 */
public final class SgdKernelBenchmark {
  private static final String PYTHON = "/usr/bin/python3";
  /** Timed runs of each setting, on both sides; the fastest counts. */
  private static final int REPEATS = 3;
  /** The step size of our run under scikit-learn's update rule: its adaptive schedule's eta0, its best setting here. */
  private static final float SAME_RULE_RATE = 0.05f;

  private SgdKernelBenchmark() {}

  public static void main(String[] args) throws Exception {
    Machine.printLoad("at the start");
    long rows = 1_000_000;
    int epochs = 2;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Long.parseLong(args[i + 1]);
        case "--epochs" -> epochs = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (--rows N, --epochs E)");
      }
    }
    BenchmarkData data = BenchmarkData.prepare(rows);
    List<SparseRow> trainList = DatasetReader.readAll(data.store, data.train);
    List<SparseRow> testList = DatasetReader.readAll(data.store, data.test);
    SparseRow[] train = trainList.toArray(new SparseRow[0]);
    SparseRow[] test = testList.toArray(new SparseRow[0]);
    int features = (int) data.train.featureCount();
    System.out.printf(
        "SGD kernel: %,d training rows, %,d test rows, 2^%d features, %d epochs, single thread%n%n",
        train.length, test.length, BenchmarkData.MODEL_BITS, epochs);

    System.out.println("| learner | setting | examples/s | test logloss |");
    System.out.println("|---|---|---|---|");
    double oursRate = 0;
    double oursLoss = Double.NaN;
    // Our own small grid, as scikit-learn gets one: (minibatch, learning rate).
    for (float[] setting : new float[][] {{1, 0.1f}, {1, 0.3f}, {20, 0.3f}}) {
      int batch = (int) setting[0];
      Timed ours = time(Optimizer.ADAGRAD, setting[1], batch, epochs, features, train, test);
      System.out.printf("| Stratus | AdaGrad lr=%s, minibatch %d | %,.0f | %.5f |%n", setting[1], batch,
          ours.examplesPerSecond(), ours.loss());
      if (Double.isNaN(oursLoss) || ours.loss() < oursLoss) {
        oursLoss = ours.loss();
        oursRate = ours.examplesPerSecond();
      }
    }
    // scikit-learn's rule: one step size for every weight, where AdaGrad takes a square root and a division a weight
    Timed sameRule = time(Optimizer.SGD, SAME_RULE_RATE, 1, epochs, features, train, test);
    System.out.printf("| Stratus | SGD lr=%s (one step size, as scikit-learn's), minibatch 1 | %,.0f | %.5f |%n",
        SAME_RULE_RATE, sameRule.examplesPerSecond(), sameRule.loss());

    Path svmDir = BenchmarkData.home().resolve("data");
    Path trainSvm = svmDir.resolve("kernel-train.svm");
    Path testSvm = svmDir.resolve("kernel-test.svm");
    Liblinear.writeLibsvm(trainSvm, trainList);
    Liblinear.writeLibsvm(testSvm, testList);
    double sklearnRate = 0;
    double sklearnLoss = Double.NaN;
    for (String[] result : sklearn(trainSvm, testSvm, epochs)) {
      double rate = (double) train.length * epochs / Double.parseDouble(result[1]);
      double loss = Double.parseDouble(result[2]);
      System.out.printf("| scikit-learn SGDClassifier | %s | %,.0f | %.5f |%n", result[0], rate, loss);
      if (Double.isNaN(sklearnLoss) || loss < sklearnLoss) {
        sklearnLoss = loss;
        sklearnRate = rate;
      }
    }
    Liblinear.Optimum optimum = Liblinear.bestOf(trainList, testList, 0.1, 1);
    System.out.printf(
        "| liblinear -s 0 (exact optimum) | C=%s | %,.0f | %.5f |%n",
        optimum.c(), train.length / optimum.trainSeconds(), optimum.test().loss());
    double toLoss = secondsToReach(sklearnLoss, features, train, test);
    double sklearnSeconds = (double) train.length * epochs / sklearnRate;
    System.out.printf(
        "%nTime to scikit-learn's best test logloss (%.5f): Stratus %.3f s (AdaGrad lr=0.1, minibatch 1, clock stopped"
            + " while evaluating every 10,000 rows), scikit-learn %.3f s (its %d epochs): %.1fx faster to equal loss%n",
        sklearnLoss, toLoss, sklearnSeconds, epochs, sklearnSeconds / toLoss);

    System.out.printf(
        "%nbest of each: Stratus %,.0f examples/s at logloss %.5f; scikit-learn %,.0f examples/s at logloss %.5f%n"
            + "speed ratio Stratus / scikit-learn: %.2fx; logloss gap to the optimum: Stratus %+.5f, scikit-learn %+.5f%n"
            + "the same update rule (one step size for every weight): Stratus %,.0f examples/s, %.2fx scikit-learn's%n",
        oursRate, oursLoss, sklearnRate, sklearnLoss, oursRate / sklearnRate,
        oursLoss - optimum.test().loss(), sklearnLoss - optimum.test().loss(), sameRule.examplesPerSecond(),
        sameRule.examplesPerSecond() / sklearnRate);
    Machine.printLoad("at the end");
    System.exit(0);
  }

  /** One setting of our kernel: its examples a second and its model's test logloss. */
  private record Timed(double examplesPerSecond, double loss) {}

  /**
   * Our kernel by {@code optimizer}: one untimed run compiles it (scikit-learn's loop is compiled ahead of time), then
   * the fastest of {@link #REPEATS}, as the script times scikit-learn: this machine is shared, and a run is a fraction
   * of a second.
   */
  private static Timed time(Optimizer optimizer, float rate, int batch, int epochs, int features, SparseRow[] train,
      SparseRow[] test) {
    LocalSgd sgd = null;
    double seconds = Double.POSITIVE_INFINITY;
    for (int run = 0; run <= REPEATS; run++) {
      sgd = new LocalSgd(features, optimizer, rate, 0, 0);
      long start = System.nanoTime();
      for (int e = 0; e < epochs; e++) {
        sgd.epoch(train, batch);
      }
      if (run > 0) {
        seconds = Math.min(seconds, (System.nanoTime() - start) / 1e9);
      }
    }
    ClassifierMetrics m = sgd.model().evaluate(test);
    return new Timed((double) train.length * epochs / seconds, m.loss());
  }

  /** Training seconds our kernel needs until its test logloss is at most {@code target}; infinity if never. */
  private static double secondsToReach(double target, int features, SparseRow[] train, SparseRow[] test) {
    LocalSgd sgd = new LocalSgd(features, Optimizer.ADAGRAD, 0.1f, 0, 0);
    long trainingNanos = 0;
    for (int epoch = 0; epoch < 5; epoch++) {
      for (int from = 0; from < train.length; from += 10_000) {
        long start = System.nanoTime();
        sgd.pass(train, from, Math.min(train.length, from + 10_000), 1);
        trainingNanos += System.nanoTime() - start;
        if (sgd.model().evaluate(test).loss() <= target) {
          return trainingNanos / 1e9;
        }
      }
    }
    return Double.POSITIVE_INFINITY;
  }

  private static List<String[]> sklearn(Path train, Path test, int epochs) throws Exception {
    Path script = Files.createTempFile("sklearn_sgd", ".py");
    try (InputStream in = SgdKernelBenchmark.class.getResourceAsStream("/sklearn_sgd.py")) {
      Files.write(script, in.readAllBytes());
    }
    Process process =
        new ProcessBuilder(
                PYTHON, script.toString(), train.toString(), test.toString(), Integer.toString(epochs),
                Integer.toString(REPEATS))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(30, TimeUnit.MINUTES) || process.exitValue() != 0) {
      throw new IllegalStateException("scikit-learn run failed (is Debian's python3-sklearn installed?)");
    }
    Files.delete(script);
    List<String[]> results = new ArrayList<>();
    for (String line : output.strip().split("\n")) {
      results.add(line.split("\t"));
    }
    return results;
  }
}
