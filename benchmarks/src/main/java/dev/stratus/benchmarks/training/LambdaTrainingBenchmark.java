package dev.stratus.benchmarks.training;

import dev.stratus.benchmarks.CloudRun;
import dev.stratus.benchmarks.Machine;
import dev.stratus.benchmarks.Topology;
import dev.stratus.jobs.train.GenerationRecord;
import dev.stratus.jobs.train.Shards;
import dev.stratus.jobs.train.ThreadWorkers;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.jobs.train.TrainingDriver;
import dev.stratus.jobs.train.TrainingSpec;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.ClassifierMetrics;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.reference.Liblinear;
import dev.stratus.lambda.local.FunctionStats;
import dev.stratus.lambda.local.LocalLambdaService;
import dev.stratus.ps.Optimizer;
import dev.stratus.runner.lambda.message.WorkerFunction;
import dev.stratus.store.S3Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Training with 1, 2 and 4 Lambda workers (LambdaRunner, the local Lambda service with process environments,
 * parameter-server shard processes) beside the DirectRunner's in-JVM training (worker threads, in-process shard) on
 * the same data and time budget: updates/s, time until the held-out loss is within 1% of liblinear's optimum on the
 * same rows, and the share of worker time lost to launching generations (cold and warm starts, hand-overs). With
 * {@code --topology cloud} the Lambda workers run in the cloud-shaped topology instead ({@link CloudRun}: the store
 * behind S3's delays, one TLS shard behind a datacenter's round trip, the Lambda service, each in a network namespace
 * of its own); {@code loopback,cloud} measures both in one run.
 *
 * <pre>mvn -q -pl benchmarks exec:java@lambda-training [-Dexec.args="--rows 1000000 --seconds 90 --lifetime 20
 *     --topology loopback,cloud"]</pre>
 */
public final class LambdaTrainingBenchmark {

  private static final int[] WORKERS = {1, 2, 4};

  private LambdaTrainingBenchmark() {}

  public static void main(String[] args) throws Exception {
    long rows = 300_000;
    int seconds = 40;
    int lifetime = 5;
    List<Topology> topologies = List.of(Topology.LOOPBACK);
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Long.parseLong(args[i + 1]);
        case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
        case "--lifetime" -> lifetime = Integer.parseInt(args[i + 1]);
        case "--topology" -> topologies = Topology.parse(args[i + 1]);
        default -> throw new IllegalArgumentException(
            "unknown argument " + args[i] + " (--rows N, --seconds S, --lifetime S, --topology loopback,cloud)");
      }
    }
    BenchmarkData data = BenchmarkData.prepare(rows);
    SparseRow[] validation = data.validationRows(100_000);
    SparseRow[] test = data.testRows(100_000);
    long liblinearStart = System.nanoTime();
    Liblinear.Optimum optimum =
        Liblinear.bestOf(
            DatasetReader.readAll(data.store, data.train), Arrays.asList(test), LambdaTraining.LIBLINEAR_C);
    System.out.printf(
        "%,d training rows, %,d validation rows watched by the monitor, %,d test rows that only report, 2^%d features,"
            + " %d cores (load average %.1f); liblinear-train -s 0 on the same rows, best C of %s: C = %s, test"
            + " logloss %.5f (%.1f s); budget %d s each (the whole budget: epsilon 0), worker lifetime %d s%n%n",
        data.train.rowCount(), validation.length, test.length, BenchmarkData.MODEL_BITS,
        Runtime.getRuntime().availableProcessors(),
        Machine.loadAverage(),
        Arrays.toString(LambdaTraining.LIBLINEAR_C), optimum.c(), optimum.test().loss(), (System.nanoTime() - liblinearStart) / 1e9,
        seconds, lifetime);

    System.out.println("| run | kept model's test logloss | updates | updates/s | time to within 1% of liblinear |"
        + " generations | launch share of worker time | invocations | cold starts |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    if (topologies.contains(Topology.LOOPBACK)) {
      TrainResult direct = inJvm(data, validation, test, seconds, lifetime);
      double directTime = LambdaTraining.timeToTarget(direct, optimum.test().loss() * 1.01);
      row("DirectRunner in-JVM, 4 threads", direct, data.keptModelOn(direct, test), optimum, directTime, -1, -1);
      try (LocalLambdaService lambda = LocalLambdaService.start()) {
        LambdaTraining.registerWorkerFunction(lambda);
        for (int workers : WORKERS) {
          FunctionStats before = lambda.stats(LambdaTraining.FUNCTION);
          TrainResult r = LambdaTraining.train(lambda, data, workers, seconds, lifetime, 0.05f);
          FunctionStats after = lambda.stats(LambdaTraining.FUNCTION);
          row(lambdaWorkers(workers) + ", loopback", r, data.keptModelOn(r, test), optimum,
              LambdaTraining.timeToTarget(r, optimum.test().loss() * 1.01),
              after.invocations() - before.invocations(), after.coldStarts() - before.coldStarts());
        }
      }
    }
    if (topologies.contains(Topology.CLOUD)) {
      // The Lambda service's counters are in its own process there: no invocation or cold-start columns.
      try (CloudRun cloud = CloudRun.start(BenchmarkData.home().resolve("data").resolve("store"),
          Map.of(LambdaTraining.FUNCTION, WorkerFunction.HANDLER), LambdaTraining.WORKER_MEMORY_MB, 300, 1)) {
        for (int workers : WORKERS) {
          TrainResult r = LambdaTraining.train(cloud, data, workers, seconds, lifetime, 0.05f);
          row(lambdaWorkers(workers) + ", cloud", r, data.keptModelOn(r, test), optimum,
              LambdaTraining.timeToTarget(r, optimum.test().loss() * 1.01), -1, -1);
        }
      }
    }
    System.out.printf("%nlaunch share: sum over generations of (ended - launched - the worker's own work time) over"
        + " the sum of (ended - launched): what invoking, cold or warm starts and hand-overs cost the workers."
        + "%ninvocations and cold starts include the pipeline's few bookkeeping tasks (reading the datasets' manifests)."
        + "%nLoad average at the end %.1f.%n",
        Machine.loadAverage());
    System.exit(0);
  }

  private static String lambdaWorkers(int workers) {
    return workers + " Lambda worker" + (workers > 1 ? "s" : "");
  }

  private static void row(String name, TrainResult r, ClassifierMetrics keptOnTest, Liblinear.Optimum optimum,
      double toTarget, long invocations, long coldStarts) {
    double kept = keptOnTest.loss();
    System.out.printf("| %s | %.5f (%.4fx optimum) | %,d | %,.0f | %s | %d | %.1f%% | %s | %s |%n", name, kept,
        kept / optimum.test().loss(), r.updates(), r.updatesPerSecond(),
        Double.isNaN(toTarget) ? "not reached" : String.format("%.1f s", toTarget), r.workerGenerations(),
        100 * launchShare(r), invocations < 0 ? "-" : String.valueOf(invocations),
        coldStarts < 0 ? "-" : String.valueOf(coldStarts));
  }

  private static double launchShare(TrainResult r) {
    double lost = 0;
    double total = 0;
    for (GenerationRecord g : r.generations()) {
      double span = g.endedAt() - g.launchedAt();
      total += span;
      lost += g.workSeconds() > 0 ? Math.max(0, span - g.workSeconds()) : 0;
    }
    return total == 0 ? 0 : lost / total;
  }

  private static TrainingSpec spec(int workers, int seconds, int lifetime) {
    return new TrainingSpec(workers, 1, 1769, Optimizer.ADAGRAD, 0.05f, 20, 1e-6f, 0, 5, seconds, 1000, 0, 4, 7,
        false, lifetime, 3);
  }

  /** What the DirectRunner's expansion of LogisticRegression runs: the same driver, threads for workers. */
  private static TrainResult inJvm(BenchmarkData data, SparseRow[] validation, SparseRow[] test, int seconds,
      int lifetime) throws Exception {
    TrainingSpec spec = spec(4, seconds, lifetime);
    try (Shards shards = Shards.inProcess(1);
        ThreadWorkers workers = new ThreadWorkers(spec.localWorkerMemoryMb());
        TrainingDriver job = new TrainingDriver(spec, data.store, data.store.reachableSpec(), data.train, validation,
            shards, workers, line -> {})) {
      return job.testCurveOn(test).run(S3Path.parse("s3://bench/models/in-jvm"));
    }
  }
}
