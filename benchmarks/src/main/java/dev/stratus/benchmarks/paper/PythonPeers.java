package dev.stratus.benchmarks.paper;

import dev.stratus.benchmarks.Directories;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.reference.Liblinear;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Python peers (the resource {@code peers.py}: scikit-learn's SGDClassifier and liblinear, xgboost's gblinear) on
 * LIBSVM copies of the same rows, run by Debian's {@code /usr/bin/python3} where those packages are, not whatever
 * {@code python3} is first on the PATH: each peer's test-loss curve, or why it has none.
 */
public final class PythonPeers {
  private static final String PYTHON = "/usr/bin/python3";

  private PythonPeers() {}

  /**
   * A peer's test-loss curve over its training time, or why there is none; and the test loss of the model it returned
   * where that is not its last evaluation's (ours keeps the model its validation rows liked best), else NaN.
   */
  public record Peer(List<DriverModel.Point> curve, String missing, double returnedLoss) {
    public Peer(List<DriverModel.Point> curve, String missing) {
      this(curve, missing, Double.NaN);
    }

    static Peer notInstalled(String why) {
      return new Peer(List.of(), why);
    }

    public boolean installed() {
      return missing == null;
    }

    /** The test loss of the model it returned: its last evaluation's, unless it returned another. */
    public double finalLoss() {
      return Double.isNaN(returnedLoss) ? curve.get(curve.size() - 1).loss() : returnedLoss;
    }

    /** Seconds it trained: those of its last evaluation. */
    public double seconds() {
      return curve.get(curve.size() - 1).seconds();
    }

    /** Seconds until its test loss first reached {@code target}; NaN if it never did. */
    public double timeTo(double target) {
      return Curves.timeTo(curve, target);
    }
  }

  /**
   * Runs peers.py on {@code train} and {@code test} with a budget of {@code seconds} a peer and the script's {@code
   * options} (which model's peers, its classes, the SGD's penalty...; see the script), the peers in the order it ran
   * them. Without Python there is one entry, not installed.
   */
  public static Map<String, Peer> run(List<SparseRow> train, List<SparseRow> test, int seconds, List<String> options)
      throws Exception {
    Map<String, Peer> peers = new LinkedHashMap<>();
    if (!Files.isExecutable(Path.of(PYTHON))) {
      peers.put("the Python peers (scikit-learn, xgboost)", Peer.notInstalled("no " + PYTHON));
      return peers;
    }
    Path dir = Files.createTempDirectory("peers");
    try {
      Path script = dir.resolve("peers.py");
      try (InputStream in = PythonPeers.class.getResourceAsStream("/peers.py")) {
        Files.copy(in, script);
      }
      List<String> command = new ArrayList<>(List.of(PYTHON, script.toString(),
          Liblinear.writeLibsvm(dir.resolve("train.svm"), train).toString(),
          Liblinear.writeLibsvm(dir.resolve("test.svm"), test).toString(), String.valueOf(seconds)));
      command.addAll(options);
      Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      Map<String, List<DriverModel.Point>> points = new LinkedHashMap<>();
      try (BufferedReader lines = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          String[] fields = line.split("\t", 3);
          if (fields[1].equals("not installed")) {
            peers.put(fields[0], Peer.notInstalled(fields[2]));
          } else {
            points.computeIfAbsent(fields[0], k -> new ArrayList<>())
                .add(new DriverModel.Point(Double.parseDouble(fields[1]), Double.parseDouble(fields[2])));
          }
        }
      }
      if (!process.waitFor(10L * seconds + 600, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IllegalStateException("peers.py failed (exit " + (process.isAlive() ? "none" : process.exitValue())
            + "); its errors are above");
      }
      points.forEach((name, curve) -> {
        Peer peer = new Peer(curve, null);
        peers.put(name, peer);
        // An evaluation a line would flood the console (a thousand epochs of a small data set): a line a peer.
        System.out.printf(Locale.ROOT, "%s: %d evaluations, test loss %.5g after %.1f s%n", name, curve.size(),
            peer.finalLoss(), peer.seconds());
      });
      return peers;
    } finally {
      Directories.deleteRecursively(dir);
    }
  }
}
