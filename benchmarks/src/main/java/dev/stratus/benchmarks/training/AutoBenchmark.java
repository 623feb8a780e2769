package dev.stratus.benchmarks.training;

import dev.stratus.benchmarks.Machine;
import dev.stratus.dsl.LogisticRegression;
import dev.stratus.jobs.train.Prices;
import dev.stratus.jobs.train.ScalingDecision;
import dev.stratus.jobs.train.Solver;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.reference.Liblinear;
import dev.stratus.lambda.local.LocalLambdaService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The worker count the driver chooses against every count set by hand: the same L-BFGS training (logistic regression
 * at liblinear's best C, LambdaRunner on the local Lambda service with process environments, shard processes) with
 * workers {1, 2, 4, 8} x shards {1, 2} set, and with neither set; with {@code --solver sgd}, the same by asynchronous
 * SGD (its other settings the defaults), whose shards the driver does not choose. For each: seconds from the training's start until
 * the kept model's test loss is within 1% of liblinear's optimum on the same rows, the whole pipeline's wall time, and
 * what the workers' invocations would cost on AWS Lambda. The goal: the driver's choice within 1.2x of the fastest
 * configuration's time, at most its cost.
 *
 * <pre>mvn -q -pl benchmarks exec:java@auto [-Dexec.args="--rows 300000 --solver lbfgs|sgd"]</pre>
 */
public final class AutoBenchmark {
  private static final int[] WORKERS = {1, 2, 4, 8};
  private static final int[] SHARDS = {1, 2};

  private AutoBenchmark() {}

  /** One configuration's run. */
  private record Run(String name, TrainResult result, double toTarget, double wallSeconds, double cost) {}

  public static void main(String[] args) throws Exception {
    long rows = 300_000;
    Solver solver = Solver.LBFGS;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Long.parseLong(args[i + 1]);
        case "--solver" -> solver = Solver.valueOf(args[i + 1].toUpperCase(Locale.ROOT));
        default -> throw new IllegalArgumentException(
            "unknown argument " + args[i] + " (--rows N, --solver lbfgs|sgd)");
      }
    }
    BenchmarkData data = BenchmarkData.prepare(rows);
    SparseRow[] test = data.testRows(100_000);
    List<SparseRow> train = DatasetReader.readAll(data.store, data.train);
    Liblinear.Optimum optimum = Liblinear.bestOf(train, Arrays.asList(test), LambdaTraining.LIBLINEAR_C);
    float l2 = (float) (1 / (optimum.c() * train.size()));
    double target = optimum.test().loss() * 1.01;
    System.out.printf(Locale.ROOT, "%,d training rows in %d partitions, 2^%d features, %d cores (load average %.1f);"
            + " liblinear-train -s 0's best C of %s: C = %s, test logloss %.5f; every run %s at that C%n%n",
        data.train.rowCount(), data.train.manifest().partitions().size(), BenchmarkData.MODEL_BITS,
        Runtime.getRuntime().availableProcessors(), Machine.loadAverage(), Arrays.toString(LambdaTraining.LIBLINEAR_C),
        optimum.c(), optimum.test().loss(), solver == Solver.LBFGS ? "L-BFGS" : "asynchronous SGD");
    // SGD's shards are the ones it starts: its rows set none
    int[] shardCounts = solver == Solver.LBFGS ? SHARDS : new int[] {1};
    List<Run> runs = new ArrayList<>();
    try (LocalLambdaService lambda = LocalLambdaService.start()) {
      LambdaTraining.registerWorkerFunction(lambda);
      // a first run warms the service's environments for every run after it, and is not counted
      run(lambda, data, "warm-up", 2, 1, solver, l2, target, test);
      runs.add(run(lambda, data, "auto", 0, 0, solver, l2, target, test));
      for (int shards : shardCounts) {
        for (int workers : WORKERS) {
          runs.add(run(lambda, data, workers + " workers, " + shards + " shard" + (shards > 1 ? "s" : ""), workers,
              shards, solver, l2, target, test));
        }
      }
    }
    System.out.println("| configuration | time to within 1% of liblinear | pipeline wall time | "
        + (solver == Solver.LBFGS ? "passes" : "updates") + " | worker generations | Lambda cost | kept test logloss"
        + " | the driver's decisions |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---|");
    for (Run run : runs) {
      System.out.printf(Locale.ROOT, "| %s | %s | %.1f s | %d | %d | $%.6f | %.5f | %s |%n", run.name(),
          Double.isNaN(run.toTarget()) ? "not reached" : String.format(Locale.ROOT, "%.1f s", run.toTarget()),
          run.wallSeconds(), run.result().updates(), run.result().workerGenerations(), run.cost(),
          data.keptModelOn(run.result(), test).loss(), decisions(run.result()));
    }
    Run auto = runs.get(0);
    Run fastest = runs.stream().skip(1).filter(r -> !Double.isNaN(r.toTarget()))
        .min((a, b) -> Double.compare(a.toTarget(), b.toTarget())).orElseThrow();
    System.out.printf(Locale.ROOT, "%nauto over the fastest set by hand (%s): time %.2fx, cost %.2fx (goals: at most"
            + " 1.2x, at most 1x). Load average at the end %.1f.%n", fastest.name(),
        auto.toTarget() / fastest.toTarget(), auto.cost() / fastest.cost(), Machine.loadAverage());
    System.exit(0);
  }

  /** One training with {@code workers} and {@code shards} set (0: not set, the driver's or the default). */
  private static Run run(LocalLambdaService lambda, BenchmarkData data, String name, int workers, int shards,
      Solver solver, float l2, double target, SparseRow[] test) {
    long start = System.nanoTime();
    TrainResult result = LambdaTraining.train(lambda, "auto-" + solver + "-" + name.replaceAll("[^a-z0-9]+", "-"),
        data, validation -> {
          LogisticRegression training = LogisticRegression.withValidationSet(validation).l2(l2).solver(solver);
          if (workers > 0) {
            training.workers(workers);
          }
          if (shards > 0) {
            training.psShards(shards);
          }
          return training;
        });
    double wall = (System.nanoTime() - start) / 1e9;
    double cost = Prices.AWS_LAMBDA_X86.lambda(Prices.gbSeconds(result), result.workerGenerations());
    System.out.printf(Locale.ROOT, "%s: %.1f s, %s%n", name, wall, decisions(result));
    return new Run(name, result, LambdaTraining.timeToTarget(result, target), wall, cost);
  }

  private static String decisions(TrainResult result) {
    if (result.scaling().isEmpty()) {
      return "-";
    }
    List<String> lines = new ArrayList<>();
    for (ScalingDecision decision : result.scaling()) {
      lines.add(decision.describe().trim());
    }
    return String.join("; ", lines);
  }
}
