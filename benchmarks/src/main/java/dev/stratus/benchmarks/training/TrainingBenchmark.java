package dev.stratus.benchmarks.training;

import dev.stratus.benchmarks.Machine;
import dev.stratus.jobs.train.CurvePoint;
import dev.stratus.jobs.train.ProcessWorkers;
import dev.stratus.jobs.train.Shards;
import dev.stratus.jobs.train.StepTimes;
import dev.stratus.jobs.train.ThreadWorkers;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.jobs.train.TrainingDriver;
import dev.stratus.jobs.train.TrainingSpec;
import dev.stratus.jobs.train.WorkerLauncher;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.ClassifierMetrics;
import dev.stratus.ps.Optimizer;
import dev.stratus.store.S3Path;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

/**
 * Asynchronous SGD against the parameter server on generated Criteo rows:
 *
 * <ul>
 *   <li>test logloss against wall time for 1, 2 and 4 workers, written as CSV and a PNG chart with the planted
 *       model's loss drawn as the floor (the monitor watches the validation split; the test split only reports);
 *   <li>the median time of each of the paper's four iteration steps for minibatches of 20 and 200 rows.
 * </ul>
 *
 * <pre>mvn -q -pl benchmarks exec:java@training [-Dexec.args="--rows 1000000 --seconds 60"]</pre>
 */
public final class TrainingBenchmark {
  private TrainingBenchmark() {}

  public static void main(String[] args) throws Exception {
    Machine.printLoad("at the start");
    long rows = 1_000_000;
    int seconds = 60;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Long.parseLong(args[i + 1]);
        case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (--rows N, --seconds S)");
      }
    }
    BenchmarkData data = BenchmarkData.prepare(rows);
    SparseRow[] validation = data.validationRows(100_000);
    SparseRow[] test = data.testRows(100_000);
    System.out.printf(
        "Training on %,d rows (%,d validation rows keep the model, %,d test rows report it), 2^%d features, %d cores;"
            + " planted model's test logloss %.5f%n%n",
        data.train.rowCount(), validation.length, test.length, BenchmarkData.MODEL_BITS,
        Runtime.getRuntime().availableProcessors(), data.plantedLogloss);

    Map<Integer, TrainResult> byWorkers = new LinkedHashMap<>();
    for (int workers : new int[] {1, 2, 4}) {
      byWorkers.put(workers, train(data, validation, test, spec(workers, 20, seconds)));
    }
    System.out.println("| workers | kept model's test logloss | its test AUC | updates | updates/s | stall s |");
    System.out.println("|---|---|---|---|---|---|");
    byWorkers.forEach((w, r) -> {
      ClassifierMetrics kept = data.keptModelOn(r, test);
      System.out.printf("| %d | %.5f | %.4f | %,d | %,.0f | %.2f |%n", w, kept.loss(), kept.auc(), r.updates(),
          r.updatesPerSecond(), r.stallSeconds());
    });
    Path out = BenchmarkData.home().resolve("results");
    Files.createDirectories(out);
    writeCsv(out.resolve("loss-over-time.csv"), byWorkers);
    writeChart(out.resolve("loss-over-time.png"), byWorkers, data.plantedLogloss);
    System.out.printf("%ncurves: %s, %s%n%n", out.resolve("loss-over-time.csv").toAbsolutePath(),
        out.resolve("loss-over-time.png").toAbsolutePath());

    TrainResult small = train(data, validation, test, spec(1, 20, seconds, 128, true));
    System.out.printf(
        "One worker in its own JVM with a 128 MB heap (-Xmx128m), as a 128 MB Lambda: kept model's test logloss"
            + " %.5f, %,.0f updates/s, stall %.2f s (the 1-worker thread run above: %.5f, %,.0f updates/s)%n%n",
        data.keptModelOn(small, test).loss(), small.updatesPerSecond(), small.stallSeconds(),
        data.keptModelOn(byWorkers.get(1), test).loss(), byWorkers.get(1).updatesPerSecond());

    System.out.println("Median milliseconds per iteration step, 1 worker (the paper's Figure 6):");
    System.out.println("| minibatch | get model | get minibatch | compute gradient | send gradient | iterations/s |");
    System.out.println("|---|---|---|---|---|---|");
    for (int batch : new int[] {20, 200}) {
      TrainResult r = train(data, validation, test, spec(1, batch, Math.max(10, seconds / 3)));
      StepTimes t = r.stepTimes();
      System.out.printf(
          "| %d | %.4f | %.4f | %.4f | %.4f | %,.0f |%n",
          batch,
          t.medianMillis(StepTimes.Step.GET_MODEL),
          t.medianMillis(StepTimes.Step.GET_MINIBATCH),
          t.medianMillis(StepTimes.Step.COMPUTE_GRADIENT),
          t.medianMillis(StepTimes.Step.SEND_GRADIENT),
          r.updatesPerSecond());
    }
    Machine.printLoad("at the end");
    System.exit(0);
  }

  /** Worker threads, running for the whole time budget (no early stop), evaluating every second. */
  private static TrainingSpec spec(int workers, int minibatch, int seconds) {
    return spec(workers, minibatch, seconds, 1769, false);
  }

  private static TrainingSpec spec(int workers, int minibatch, int seconds, int memoryMb, boolean processes) {
    return new TrainingSpec(
        workers, 1, memoryMb, Optimizer.ADAGRAD, 0.05f, minibatch, 1e-6f, 0, 5, seconds, 1000, 0, 4, 7, processes,
        seconds + 60, 3);
  }

  private static TrainResult train(BenchmarkData data, SparseRow[] validation, SparseRow[] test, TrainingSpec spec)
      throws Exception {
    try (Shards shards = Shards.inProcess(spec.shardsToStart());
        WorkerLauncher workers =
            spec.workerProcesses() ? new ProcessWorkers(spec.localWorkerMemoryMb()) : new ThreadWorkers(spec.localWorkerMemoryMb());
        TrainingDriver job =
            new TrainingDriver(spec, data.store, data.store.reachableSpec(), data.train, validation, shards, workers,
                line -> {})) {
      return job.testCurveOn(test).run(S3Path.parse("s3://bench/models/bench-" + spec.workers() + "-" + spec.minibatchSize()));
    }
  }

  private static void writeCsv(Path file, Map<Integer, TrainResult> byWorkers) throws Exception {
    try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(file))) {
      out.println("workers,seconds,updates,validation_logloss,test_logloss");
      byWorkers.forEach(
          (w, r) -> {
            for (CurvePoint p : r.curve()) {
              out.printf("%d,%.3f,%d,%.6f,%.6f%n", w, p.seconds(), p.updates(), p.validationLoss(), p.testLoss());
            }
          });
    }
  }

  private static void writeChart(Path file, Map<Integer, TrainResult> byWorkers, double floor) throws Exception {
    XYChart chart =
        new XYChartBuilder()
            .width(900)
            .height(560)
            .title("Test logloss over time, asynchronous SGD on generated Criteo rows")
            .xAxisTitle("seconds")
            .yAxisTitle("test logloss")
            .build();
    chart.getStyler().setMarkerSize(3);
    double end = 0;
    for (Map.Entry<Integer, TrainResult> e : byWorkers.entrySet()) {
      List<CurvePoint> curve = e.getValue().curve();
      double[] x = curve.stream().mapToDouble(CurvePoint::seconds).toArray();
      double[] y = curve.stream().mapToDouble(CurvePoint::testLoss).toArray();
      chart.addSeries(e.getKey() + (e.getKey() == 1 ? " worker" : " workers"), x, y);
      end = Math.max(end, x[x.length - 1]);
    }
    XYSeries planted = chart.addSeries("planted model (floor)", new double[] {0, end}, new double[] {floor, floor});
    planted.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
