package dev.stratus.benchmarks.paper;

import dev.stratus.benchmarks.Machine;
import dev.stratus.benchmarks.paper.PythonPeers.Peer;
import dev.stratus.benchmarks.training.BenchmarkData;
import dev.stratus.benchmarks.training.LambdaTraining;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.reference.Liblinear;
import dev.stratus.lambda.local.LocalLambdaService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a user would compare us with, on the same train/test split: scikit-learn's SGDClassifier(loss="log_loss")
 * and LogisticRegression(solver="liblinear"), liblinear-train -s 0 with the best C of a small grid, xgboost's
 * gblinear, and ours on the DirectRunner and on LambdaRunner with 1, 2 and 4 workers: final test logloss,
 * training time, and time to within 1% of liblinear's optimum. Peers missing on the machine are reported as not
 * installed. Writes results/peers.md, peers.csv and peers.png.
 *
 * <pre>mvn -q -pl benchmarks exec:java@peers [-Dexec.args="--rows 300000 --seconds 60"]</pre>
 */
public final class PeersBenchmark {
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
    peers.put("ours, DirectRunner (" + threads + " worker threads)",
        ours(LambdaTraining.trainDirect(data, threads, seconds, DriverModel.LEARNING_RATE)));
    try (LocalLambdaService lambda = LocalLambdaService.start()) {
      LambdaTraining.registerWorkerFunction(lambda);
      for (int workers : new int[] {1, 2, 4}) {
        peers.put("ours, LambdaRunner, " + workers + " worker" + (workers > 1 ? "s" : ""),
            ours(LambdaTraining.train(lambda, data, workers, seconds, Math.min(seconds, 240),
                DriverModel.LEARNING_RATE)));
      }
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
    Report.publish(out.resolve("peers.md"), setting, table(peers, optimum) + "\n![Peers](peers.png)\n",
        out.resolve("peers.csv"), out.resolve("peers.png"));
    System.exit(0);
  }

  /** Our test curve: the monitor watched the validation split, never these rows. */
  private static Peer ours(TrainResult r) {
    return new Peer(r.curve().stream().map(p -> new DriverModel.Point(p.seconds(), p.testLoss())).toList(),
        null);
  }

  private static String table(Map<String, Peer> peers, double optimum) {
    double target = optimum * 1.01;
    StringBuilder md = new StringBuilder(String.format(Locale.ROOT,
        "| peer | final test logloss | training time | time to within 1%% of the optimum (%.5f) |%n"
            + "|---|---:|---:|---:|%n", target));
    peers.forEach((name, peer) -> {
      if (!peer.installed()) {
        md.append("| ").append(name).append(" | not installed | - | - |\n");
        return;
      }
      double time = peer.timeTo(target);
      md.append(String.format(Locale.ROOT, "| %s | %.5f | %.1f s | %s |%n", name, peer.finalLoss(), peer.seconds(),
          Double.isNaN(time) ? "not reached" : String.format(Locale.ROOT, "%.1f s", time)));
    });
    return md.toString();
  }
}
