package dev.stratus.benchmarks.ps;

import dev.stratus.benchmarks.training.BenchmarkData;
import dev.stratus.jobs.train.Shards;
import dev.stratus.jobs.train.ThreadWorkers;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.jobs.train.TrainingDriver;
import dev.stratus.jobs.train.TrainingSpec;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.ShardMetrics;
import dev.stratus.ps.WireValues;
import dev.stratus.ps.client.PsClient;
import dev.stratus.store.S3Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The same training with float32 values on the wire and with halves: two worker threads, one pass over generated
 * Criteo rows (so the same number of updates), in-process shards. Reports the bytes the shard received and sent per
 * update (the driver's evaluations, one whole-model pull every 5 s, included) and the kept model's logloss on test
 * rows that neither training saw; a separate validation split is what each training evaluated and kept its model by.
 */
final class ValuesTraining {
  private record Outcome(TrainResult result, double bytesPerUpdate, double testLoss, double seconds) {}

  private ValuesTraining() {}

  static void compare(long rows) throws Exception {
    BenchmarkData data = BenchmarkData.prepare(rows);
    SparseRow[] validation = data.validationRows(100_000);
    SparseRow[] test = data.testRows(100_000);
    System.out.printf(Locale.ROOT, "%nThe same training with each: 2 worker threads, one pass over %,d rows; %,d "
        + "validation rows choose the kept model, %,d test rows score it%n%n", data.train.rowCount(),
        validation.length, test.length);
    Map<WireValues, Outcome> outcomes = new LinkedHashMap<>();
    for (WireValues values : WireValues.values()) {
      outcomes.put(values, train(data, validation, test, values));
    }
    System.out.println("| values | updates | seconds | bytes/update | test logloss |");
    System.out.println("|---|---|---|---|---|");
    outcomes.forEach((values, o) -> System.out.printf(Locale.ROOT, "| %s | %,d | %.1f | %,.0f | %.5f |%n", values,
        o.result().updates(), o.seconds(), o.bytesPerUpdate(), o.testLoss()));
    Outcome full = outcomes.get(WireValues.FLOAT32);
    Outcome half = outcomes.get(WireValues.FLOAT16);
    System.out.printf(Locale.ROOT, "%nfloat16/float32: %.2fx bytes per update, test logloss %+.3f%%%n",
        half.bytesPerUpdate() / full.bytesPerUpdate(), 100 * (half.testLoss() / full.testLoss() - 1));
  }

  private static Outcome train(BenchmarkData data, SparseRow[] validation, SparseRow[] test, WireValues values)
      throws Exception {
    TrainingSpec spec = new TrainingSpec(2, 1, 1769, Optimizer.ADAGRAD, 0.05f, 20, 1e-6f, 0, 5, 900, 5000, 1, 4, 7,
        false, 960, 3).withWireValues(values);
    long start = System.nanoTime();
    try (Shards shards = Shards.inProcess(spec.shardsToStart());
        ThreadWorkers workers = new ThreadWorkers(spec.localWorkerMemoryMb());
        TrainingDriver job = new TrainingDriver(spec, data.store, data.store.reachableSpec(), data.train,
            validation, shards, workers, line -> {})) {
      TrainResult result = job.run(S3Path.parse("s3://bench/models/values-" + values));
      double seconds = (System.nanoTime() - start) / 1e9;
      long bytes = 0;
      try (PsClient metrics = PsClient.connect(shards.addresses(), shards.access(), 0)) {
        for (ShardMetrics m : metrics.metrics().get()) {
          bytes += m.bytesIn() + m.bytesOut();
        }
      }
      return new Outcome(result, (double) bytes / Math.max(1, result.updates()),
          data.keptModelOn(result, test).loss(), seconds);
    }
  }
}
