package dev.stratus.benchmarks.paper;

import dev.stratus.benchmarks.Machine;
import dev.stratus.benchmarks.training.BenchmarkData;
import dev.stratus.benchmarks.training.LambdaTraining;
import dev.stratus.jobs.train.StepTimes;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.lambda.local.LocalLambdaService;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleBiFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * The paper's Figure 6: where one Lambda worker's iteration goes, for worker memory 128 MB, 512 MB, 1 GB and 3 GB
 * (the function's memory size, which sets its environment's heap and the worker's prefetch budget), minibatches of
 * 20 and 200 rows, and prefetching on and off: the median (and mean) time of get model, get minibatch, compute
 * gradient and send gradient. Ours on LambdaRunner with one worker. Writes results/figure6.csv, figure6.png (medians),
 * figure6-mean.png and figure6.md.
 *
 * <pre>mvn -q -pl benchmarks exec:java@figure6 [-Dexec.args="--rows 1000000 --seconds 30"]</pre>
 */
public final class Figure6Benchmark {
  private static final int[] MEMORY_MB = {128, 512, 1024, 3072};
  private static final int[] MINIBATCH = {20, 200};

  private Figure6Benchmark() {}

  private record Config(int memoryMb, int minibatch, boolean prefetch) {
    String label() {
      return (memoryMb >= 1024 ? memoryMb / 1024 + " GB" : memoryMb + " MB") + ", b=" + minibatch
          + (prefetch ? ", prefetch" : ", no prefetch");
    }
  }

  private record Measured(Config config, StepTimes times, double updatesPerSecond) {}

  public static void main(String[] args) throws Exception {
    long rows = 300_000;
    int seconds = 10;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Long.parseLong(args[i + 1]);
        case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (--rows N, --seconds S)");
      }
    }
    double loadAtStart = Machine.loadAverage();
    BenchmarkData data = BenchmarkData.prepare(rows);
    String setting = String.format(Locale.ROOT,
        "%,d training rows in partitions of 50,000, 2^%d features; one Lambda worker, %d s per configuration;"
            + " %d cores, load average %.1f at the start",
        data.train.rowCount(), BenchmarkData.MODEL_BITS, seconds, Runtime.getRuntime().availableProcessors(),
        loadAtStart);
    System.out.println(setting);
    List<Measured> results = new ArrayList<>();
    try (LocalLambdaService lambda = LocalLambdaService.start()) {
      for (int memoryMb : MEMORY_MB) {
        LambdaTraining.registerWorkerFunction(lambda, memoryMb);
        for (int minibatch : MINIBATCH) {
          for (boolean prefetch : new boolean[] {true, false}) {
            Config config = new Config(memoryMb, minibatch, prefetch);
            TrainResult r = LambdaTraining.train(lambda, data, 1, seconds, seconds, DriverModel.LEARNING_RATE,
                memoryMb, lr -> lr.minibatchSize(minibatch).prefetch(prefetch).workerMemoryMb(memoryMb));
            results.add(new Measured(config, r.stepTimes(), r.updatesPerSecond()));
            System.out.printf(Locale.ROOT, "%s: %,.0f iterations/s (load %.1f)%n", config.label(),
                r.updatesPerSecond(), Machine.loadAverage());
          }
        }
      }
    }
    Path out = BenchmarkData.home().resolve("results");
    Files.createDirectories(out);
    try (PrintWriter csv = new PrintWriter(Files.newBufferedWriter(out.resolve("figure6.csv")))) {
      csv.println("memory_mb,minibatch,prefetch,step,median_ms,mean_ms,iterations_per_second");
      for (Measured m : results) {
        for (StepTimes.Step step : StepTimes.Step.values()) {
          csv.printf(Locale.ROOT, "%d,%d,%b,%s,%.5f,%.5f,%.1f%n", m.config().memoryMb(), m.config().minibatch(),
              m.config().prefetch(), step.name().toLowerCase(Locale.ROOT), m.times().medianMillis(step),
              m.times().meanMillis(step), m.updatesPerSecond());
        }
      }
    }
    chart(out.resolve("figure6.png"), "median", results, StepTimes::medianMillis);
    chart(out.resolve("figure6-mean.png"), "mean", results, StepTimes::meanMillis);
    Report.publish(out.resolve("figure6.md"), setting, table(results)
        + "\nA worker reads 50,000-row partitions, so without prefetching one minibatch in 2,500 (b=20) or 250"
        + " (b=200) waits for a whole partition: the median hides it, the mean shows it.\n\n"
        + "![Figure 6, medians](figure6.png)\n\n![Figure 6, means](figure6-mean.png)\n",
        out.resolve("figure6.png"), out.resolve("figure6-mean.png"));
    System.exit(0);
  }

  private static String table(List<Measured> results) {
    StringBuilder md = new StringBuilder("| worker memory, minibatch, prefetching |");
    for (StepTimes.Step step : StepTimes.Step.values()) {
      md.append(' ').append(step.name().toLowerCase(Locale.ROOT).replace('_', ' ')).append(" median (mean) ms |");
    }
    md.append(" iterations/s |\n|---|").append("---:|".repeat(StepTimes.Step.values().length + 1)).append('\n');
    for (Measured m : results) {
      md.append("| ").append(m.config().label()).append(" |");
      for (StepTimes.Step step : StepTimes.Step.values()) {
        md.append(String.format(Locale.ROOT, " %.4f (%.4f) |", m.times().medianMillis(step),
            m.times().meanMillis(step)));
      }
      md.append(String.format(Locale.ROOT, " %,.0f |%n", m.updatesPerSecond()));
    }
    return md.toString();
  }

  private static void chart(Path file, String statistic, List<Measured> results,
      ToDoubleBiFunction<StepTimes, StepTimes.Step> value) throws Exception {
    CategoryChart chart = new CategoryChartBuilder().width(1200).height(600)
        .title("Figure 6: " + statistic + " time per iteration step, one Lambda worker")
        .xAxisTitle("worker memory, minibatch, prefetching").yAxisTitle(statistic + " ms per iteration").build();
    chart.getStyler().setStacked(true);
    chart.getStyler().setXAxisLabelRotation(45);
    List<String> labels = results.stream().map(m -> m.config().label()).toList();
    for (StepTimes.Step step : StepTimes.Step.values()) {
      List<Double> values = results.stream().map(m -> value.applyAsDouble(m.times(), step)).toList();
      chart.addSeries(step.name().toLowerCase(Locale.ROOT).replace('_', ' '), labels, values);
    }
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
