package dev.stratus.benchmarks.paper;

import dev.stratus.benchmarks.Machine;
import dev.stratus.benchmarks.paper.PythonPeers.Peer;
import dev.stratus.benchmarks.training.BenchmarkData;
import dev.stratus.benchmarks.training.LambdaTraining;
import dev.stratus.dsl.LogisticRegression;
import dev.stratus.jobs.train.Solver;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.reference.Liblinear;
import dev.stratus.kernels.sgd.LinearModel;
import dev.stratus.lambda.local.LocalLambdaService;
import dev.stratus.store.S3Path;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * What a user would compare us with, on the same train/test split: scikit-learn's SGDClassifier(loss="log_loss")
 * and LogisticRegression(solver="liblinear"), liblinear-train -s 0 with the best C of a small grid, xgboost's
 * gblinear, and ours: L-BFGS at liblinear's C on the DirectRunner and on two Lambda workers, our defaults on two
 * Lambda workers beside the same with L-BFGS started from zeros instead of a pass of SGD (the ratio of their times
 * printed under the table), and SGD at its defaults otherwise (the penalty chosen along the path on the validation rows, stopped
 * on convergence) on the DirectRunner and on 1, 2 and 4 Lambda workers; the test logloss of the model each returned
 * (ours: the model written, the one its validation rows chose), training time (worker launches included for ours), and
 * time to within 1% and 0.1% of liblinear's optimum on the test curve. Then L1: liblinear's L1
 * solver at its best C against our OWL-QN at that C. Peers missing on the machine are reported as not installed.
 * Writes results/peers.md, peers.csv and peers.png.
 *
 * <pre>mvn -q -pl benchmarks exec:java@peers [-Dexec.args="--rows 300000 --seconds 60"]</pre>
 */
public final class PeersBenchmark {
  private static final String DEFAULTS = "ours, defaults (no option set), LambdaRunner, 2 workers";
  private static final String FROM_ZEROS = "ours, defaults but L-BFGS from zeros (sgdStart(false)), LambdaRunner,"
      + " 2 workers";

  private PeersBenchmark() {}

  public static void main(String[] args) throws Exception {
    long rows = 1_000_000; // Figure 5's size
    int seconds = 40;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Long.parseLong(args[i + 1]);
        case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (--rows N, --seconds S)");
      }
    }
    double loadAtStart = Machine.loadAverage();
    BenchmarkData data = BenchmarkData.prepare(rows);
    List<SparseRow> train = DatasetReader.readAll(data.store, data.train);
    List<SparseRow> test = DatasetReader.readAll(data.store, data.test);
    Map<String, Peer> peers = new LinkedHashMap<>();

    double optimum = Double.NaN;
    double bestC = Double.NaN;
    String liblinearName = "liblinear-train -s 0, best C of " + Arrays.toString(LambdaTraining.LIBLINEAR_C);
    try {
      Liblinear.Optimum best = Liblinear.bestOf(train, test, LambdaTraining.LIBLINEAR_C);
      optimum = best.test().loss();
      bestC = best.c();
      liblinearName = "liblinear-train -s 0, best C of " + Arrays.toString(LambdaTraining.LIBLINEAR_C) + " (C = "
          + best.c() + ")";
      peers.put(liblinearName, new Peer(List.of(new DriverModel.Point(best.trainSeconds(), optimum)), null));
    } catch (IOException e) {
      peers.put(liblinearName, Peer.notInstalled(e.getMessage()));
    }
    String setting = String.format(Locale.ROOT,
        "%,d training rows, %,d test rows every curve is measured on, %,d validation rows our monitor watches apart"
            + " from them, 2^%d features, budget %d s; %d cores, load average %.1f at the start; planted model's test"
            + " logloss %.5f",
        train.size(), test.size(), data.validation.rowCount(), BenchmarkData.MODEL_BITS, seconds,
        Runtime.getRuntime().availableProcessors(),
        loadAtStart, data.plantedLogloss);
    System.out.println(setting);
    // scikit-learn's liblinear gets liblinear-train's best C (C = 1 overfits these rows and takes minutes).
    peers.putAll(PythonPeers.run(train, test, seconds,
        List.of("--alpha", "1e-5", "--liblinear-c", String.valueOf(Double.isNaN(optimum) ? 1.0 : bestC))));
    train = null; // the rows are in the files now; the JVM's runs below need the memory

    int threads = Runtime.getRuntime().availableProcessors();
    // L-BFGS at liblinear's C (as scikit-learn's liblinear gets), and with no option at all (the penalty chosen on the
    // validation split along the path, the solver by the data's size)
    float l2 = (float) (1 / ((Double.isNaN(bestC) ? 1 : bestC) * data.train.rowCount()));
    String atC = "C = " + (Double.isNaN(bestC) ? 1 : bestC);
    Duration budget = Duration.ofSeconds(seconds);
    SparseRow[] testRows = test.toArray(new SparseRow[0]);
    Function<TrainResult, Peer> ours = r -> ours(r, data, testRows);
    peers.put("ours, L-BFGS at liblinear's " + atC + ", DirectRunner (" + threads + " worker threads)",
        ours.apply(LambdaTraining.trainDirect(data, "direct-lbfgs", validation -> LogisticRegression
            .withValidationSet(validation).solver(Solver.LBFGS).l2(l2).workers(threads).timeout(budget))));
    peers.put("ours, SGD, DirectRunner (" + threads + " worker threads)",
        ours.apply(LambdaTraining.trainDirect(data, "direct-sgd", validation -> LogisticRegression
            .withValidationSet(validation).solver(Solver.SGD).workers(threads).timeout(budget))));
    String l1Table = "";
    try (LocalLambdaService lambda = LocalLambdaService.start()) {
      LambdaTraining.registerWorkerFunction(lambda);
      peers.put("ours, L-BFGS at liblinear's " + atC + ", LambdaRunner, 2 workers",
          ours.apply(LambdaTraining.train(lambda, "lambda-lbfgs", data, validation -> LogisticRegression
              .withValidationSet(validation).solver(Solver.LBFGS).l2(l2).workers(2).timeout(budget))));
      peers.put(DEFAULTS, ours.apply(LambdaTraining.train(lambda, "lambda-defaults", data, validation ->
          LogisticRegression.withValidationSet(validation).workers(2).timeout(budget))));
      // the baseline of the SGD start, side by side: the same defaults, the solver from zeros
      peers.put(FROM_ZEROS, ours.apply(LambdaTraining.train(lambda, "lambda-from-zeros", data, validation ->
          LogisticRegression.withValidationSet(validation).workers(2).sgdStart(false).timeout(budget))));
      for (int workers : new int[] {1, 2, 4}) {
        peers.put("ours, SGD, LambdaRunner, " + workers + " worker" + (workers > 1 ? "s" : ""),
            ours.apply(LambdaTraining.train(lambda, "lambda-sgd-" + workers, data, validation -> LogisticRegression
                .withValidationSet(validation).solver(Solver.SGD).workers(workers).timeout(budget))));
      }
      l1Table = l1Table(lambda, data, test, budget);
    }

    Path out = BenchmarkData.home().resolve("results");
    Files.createDirectories(out);
    Map<String, List<DriverModel.Point>> curves = new LinkedHashMap<>();
    peers.forEach((name, peer) -> {
      if (peer.installed()) {
        curves.put(name, peer.curve());
      }
    });
    Curves.writeCsv(out.resolve("peers.csv"), "peer", curves);
    Curves.chart(out.resolve("peers.png"), "Peers: test logloss over training time, same split", curves,
        Curves.referenceLines(optimum, data.plantedLogloss));
    Report.publish(out.resolve("peers.md"), setting, table(peers, optimum) + "\n" + l1Table
        + "\n![Peers](peers.png)\n",
        out.resolve("peers.csv"), out.resolve("peers.png"));
    System.exit(0);
  }

  /**
   * Our test curve (the monitor watched the validation split, never these rows), and the test loss of the model the
   * training wrote: the one its validation rows chose, which the curve's last point need not be.
   */
  private static Peer ours(TrainResult r, BenchmarkData data, SparseRow[] testRows) {
    LinearModel written = LinearModel.fromBytes(data.store.get(S3Path.parse(r.modelPath())), r.modelPath());
    return new Peer(r.curve().stream().map(p -> new DriverModel.Point(p.seconds(), p.testLoss())).toList(),
        null, written.meanLoss(testRows));
  }

  private static String table(Map<String, Peer> peers, double optimum) {
    StringBuilder md = new StringBuilder(String.format(Locale.ROOT,
        "| peer | final test logloss | final / optimum | training time | time to within 1%% of the optimum (%.5f) |"
            + " time to within 0.1%% (%.5f) |%n|---|---:|---:|---:|---:|---:|%n", optimum * 1.01, optimum * 1.001));
    peers.forEach((name, peer) -> {
      if (!peer.installed()) {
        md.append("| ").append(name).append(" | not installed | - | - | - | - |\n");
        return;
      }
      md.append(String.format(Locale.ROOT, "| %s | %.5f | %.4f | %.1f s | %s | %s |%n", name, peer.finalLoss(),
          peer.finalLoss() / optimum, peer.seconds(), seconds(peer.timeTo(optimum * 1.01)),
          seconds(peer.timeTo(optimum * 1.001))));
    });
    Peer started = peers.get(DEFAULTS);
    Peer zeros = peers.get(FROM_ZEROS);
    if (started != null && zeros != null) {
      md.append(String.format(Locale.ROOT, "%nL-BFGS started from passes of SGD (the default) over started from zeros,"
              + " time to within 1%%: %s against %s (%s); to within 0.1%%: %s against %s (%s)%n",
          seconds(started.timeTo(optimum * 1.01)), seconds(zeros.timeTo(optimum * 1.01)),
          ratio(started.timeTo(optimum * 1.01), zeros.timeTo(optimum * 1.01)),
          seconds(started.timeTo(optimum * 1.001)), seconds(zeros.timeTo(optimum * 1.001)),
          ratio(started.timeTo(optimum * 1.001), zeros.timeTo(optimum * 1.001))));
    }
    return md.toString();
  }

  private static String ratio(double time, double baseline) {
    return Double.isNaN(time) || Double.isNaN(baseline) ? "no ratio"
        : String.format(Locale.ROOT, "%.2fx the time", time / baseline);
  }

  private static String seconds(double time) {
    return Double.isNaN(time) ? "not reached" : String.format(Locale.ROOT, "%.1f s", time);
  }

  /**
   * L1-regularised logistic regression at liblinear's best C of the grid for its L1 solver ({@code -s 6}): that
   * solver against ours (OWL-QN, two Lambda workers) at the same C, in the objective both minimise (on the training
   * rows, read again from the store), the test loss and the model's non-zero weights.
   */
  private static String l1Table(LocalLambdaService lambda, BenchmarkData data, List<SparseRow> test,
      Duration budget) throws IOException {
    List<SparseRow> train = DatasetReader.readAll(data.store, data.train);
    Liblinear.Optimum exact;
    try {
      exact = Liblinear.l1LogisticBestOf(train, test, LambdaTraining.LIBLINEAR_C);
    } catch (IOException e) {
      return "liblinear-train -s 6 not installed: " + e.getMessage() + "\n";
    }
    float l1 = (float) (1 / (exact.c() * train.size()));
    TrainResult ours = LambdaTraining.train(lambda, "lambda-owlqn", data, validation -> LogisticRegression
        .withValidationSet(validation).solver(Solver.LBFGS).l1(l1).workers(2).timeout(budget));
    LinearModel model = LinearModel.fromBytes(data.store.get(S3Path.parse(ours.modelPath())), ours.modelPath());
    SparseRow[] rows = train.toArray(new SparseRow[0]);
    SparseRow[] testRows = test.toArray(new SparseRow[0]);
    double optimum = exact.model().objective(rows, 0, l1);
    StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "L1 at C = %s (liblinear -s 6's best of %s):%n%n"
        + "| solver | objective / liblinear's | test logloss | non-zero weights | training time |%n"
        + "|---|---:|---:|---:|---:|%n", exact.c(), Arrays.toString(LambdaTraining.LIBLINEAR_C)));
    md.append(String.format(Locale.ROOT, "| liblinear-train -s 6 | 1.0000 | %.5f | %,d | %.1f s |%n",
        exact.test().loss(), nonZeros(exact.model()), exact.trainSeconds()));
    md.append(String.format(Locale.ROOT, "| ours, OWL-QN, LambdaRunner, 2 workers | %.4f | %.5f | %,d | %.1f s |%n",
        model.objective(rows, 0, l1) / optimum, model.meanLoss(testRows), nonZeros(model),
        ours.curve().get(ours.curve().size() - 1).seconds()));
    return md.toString();
  }

  private static int nonZeros(LinearModel model) {
    int count = 0;
    for (float w : model.weights()) {
      count += w != 0 ? 1 : 0;
    }
    return count;
  }
}
