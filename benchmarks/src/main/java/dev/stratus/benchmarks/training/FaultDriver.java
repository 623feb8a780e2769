package dev.stratus.benchmarks.training;

import dev.stratus.runner.lambda.LambdaRunnerOptions;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import java.util.Arrays;

/**
 * The driver JVM of the {@link FaultsBenchmark}: one training on LambdaRunner at its defaults (its embedded Lambda
 * service with process environments, parameter-server shard processes), in a process of its own so that the benchmark
 * can kill it. It leaves its result where {@link LambdaTraining#savedResult} reads it.
 *
 * <p>Arguments: {@code ROWS NAME WORKERS SHARDS SECONDS}, then LambdaRunner's options (the store's endpoint,
 * {@code --psSnapshotEverySeconds}, {@code --resumeTraining}...); the store's secret key in the environment variable
 * {@link #STORE_SECRET_ENV}, never on the command line.
 */
public final class FaultDriver {
  static final String STORE_SECRET_ENV = "STRATUS_BENCH_STORE_SECRET";

  private FaultDriver() {}

  public static void main(String[] args) {
    long rows = Long.parseLong(args[0]);
    String name = args[1];
    int workers = Integer.parseInt(args[2]);
    int shards = Integer.parseInt(args[3]);
    int seconds = Integer.parseInt(args[4]);
    LambdaRunnerOptions options = LambdaTraining.lambdaOptions(LambdaTraining.WORKER_MEMORY_MB,
        Arrays.copyOfRange(args, 5, args.length));
    options.setStoreSecretKey(System.getenv(STORE_SECRET_ENV));
    BenchmarkData data = BenchmarkData.open(ObjectStore.of(StoreOptions.spec(options)), rows);
    try {
      // one generation per worker for the whole budget: what the benchmark compares is the faults, not hand-overs
      LambdaTraining.train(options, name, data, workers, seconds, seconds, FaultsBenchmark.LEARNING_RATE,
          training -> training.psShards(shards));
    } catch (RuntimeException e) {
      Throwable cause = e; // one line: the pipeline's own failure is the innermost cause
      while (cause.getCause() != null && cause.getCause() != cause) {
        cause = cause.getCause();
      }
      System.out.println("error: " + cause);
      System.exit(1);
    }
    System.exit(0); // the runner's Lambda service keeps threads alive
  }
}
