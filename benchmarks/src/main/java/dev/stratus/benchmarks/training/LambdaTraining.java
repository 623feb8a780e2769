package dev.stratus.benchmarks.training;

import dev.stratus.benchmarks.CloudRun;
import dev.stratus.dsl.LogisticRegression;
import dev.stratus.dsl.ReadDataset;
import dev.stratus.dsl.SgdTraining;
import dev.stratus.jobs.train.CurvePoint;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.jvm.ClassPath;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.lambda.local.FunctionSpec;
import dev.stratus.lambda.local.LocalLambdaService;
import dev.stratus.runner.lambda.LambdaRunnerOptions;
import dev.stratus.runner.lambda.message.WorkerFunction;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.values.PCollection;

/**
 * What the benchmarks that train on LambdaRunner share: our worker function on the local Lambda service, one
 * training pipeline run on it (LogisticRegression at the benchmarks' settings, or any linear model as given), and how
 * a loss curve is read against an exact solver's optimum.
 */
public final class LambdaTraining {
  /** The function name LambdaRunner invokes. */
  public static final String FUNCTION = "stratus-worker";
  /** liblinear overfits these rows at C = 1; the reference is its best C of this grid on the held-out rows. */
  public static final double[] LIBLINEAR_C = {0.03, 0.1, 0.3, 1};
  /** A worker's memory, Lambda's size for one full vCPU. */
  public static final int WORKER_MEMORY_MB = 1769;

  private LambdaTraining() {}

  /** Registers our worker function: LambdaRunner's handler on this JVM's classpath. */
  public static void registerWorkerFunction(LocalLambdaService lambda) {
    registerWorkerFunction(lambda, WORKER_MEMORY_MB);
  }

  /** Registers, or replaces, our worker function with {@code memoryMb} of memory (its environments' heap). */
  public static void registerWorkerFunction(LocalLambdaService lambda, int memoryMb) {
    lambda.registerFunction(FunctionSpec.of(FUNCTION, WorkerFunction.HANDLER, ClassPath.currentEntries())
        .withMemoryMb(memoryMb).withTimeoutSeconds(300));
  }

  /**
   * Trains LogisticRegression with {@code workers} Lambda workers on the benchmark data, its monitor watching the
   * validation split and its curve measured on the test split every second, and brings the job's result back through
   * the store.
   */
  public static TrainResult train(LocalLambdaService lambda, BenchmarkData data, int workers, int seconds,
      int lifetime, float learningRate) {
    return train(lambda, data, workers, seconds, lifetime, learningRate, WORKER_MEMORY_MB, UnaryOperator.identity());
  }

  /**
   * As above, with the worker function registered with {@code memoryMb} and {@code tuning} applied to the
   * LogisticRegression (minibatch size, prefetching...).
   */
  public static TrainResult train(LocalLambdaService lambda, BenchmarkData data, int workers, int seconds,
      int lifetime, float learningRate, int memoryMb, UnaryOperator<LogisticRegression> tuning) {
    return train(localLambdaOptions(lambda, memoryMb), "lambda-" + workers, data, workers, seconds, lifetime,
        learningRate, tuning);
  }

  /**
   * Trains the linear model {@code model} makes of the validation split (its class's {@code withValidationSet} and the
   * options the caller sets) on {@code data} with LambdaRunner on {@code lambda}, its curve measured on the test split
   * every evaluation, its model and result named {@code name}; nothing else is set, so the model's defaults hold.
   */
  public static TrainResult train(LocalLambdaService lambda, String name, BenchmarkData data,
      Function<PCollection<Dataset>, ? extends SgdTraining<?>> model) {
    return train(localLambdaOptions(lambda, WORKER_MEMORY_MB), name, data, model);
  }

  /** LambdaRunner's options for our function with {@code memoryMb} on {@code lambda}, signed with its credentials. */
  private static LambdaRunnerOptions localLambdaOptions(LocalLambdaService lambda, int memoryMb) {
    LambdaRunnerOptions options = lambdaOptions(memoryMb, "--runner=LambdaRunner",
        "--dataDir=" + BenchmarkData.home().resolve("data").resolve("store"), "--lambdaEndpoint=" + lambda.endpoint());
    options.setLambdaCredentials(lambda.credentialsProvider());
    return options;
  }

  /**
   * As above, in the cloud-shaped topology: the workers are functions of {@code cloud}'s Lambda service (registered
   * as {@link #FUNCTION}), the data come through its store node, and the training uses its shards.
   */
  public static TrainResult train(CloudRun cloud, BenchmarkData data, int workers, int seconds, int lifetime,
      float learningRate) {
    LambdaRunnerOptions options = lambdaOptions(WORKER_MEMORY_MB, cloud.runnerArguments().toArray(String[]::new));
    cloud.configure(options);
    return train(options, "cloud-lambda-" + workers, data, workers, seconds, lifetime, learningRate,
        UnaryOperator.identity());
  }

  /** LambdaRunner's options for our function with {@code memoryMb}, after {@code deployment}'s arguments. */
  static LambdaRunnerOptions lambdaOptions(int memoryMb, String... deployment) {
    List<String> args = new ArrayList<>(List.of(deployment));
    args.addAll(List.of("--bucket=bench", "--functionName=" + FUNCTION, "--workerMemoryMb=" + memoryMb,
        "--taskTimeoutSeconds=300"));
    return PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).as(LambdaRunnerOptions.class);
  }

  /** The same pipeline on the DirectRunner: its training runs the workers as threads of this JVM. */
  public static TrainResult trainDirect(BenchmarkData data, int workers, int seconds, float learningRate) {
    PipelineOptions options = PipelineOptionsFactory.fromArgs(
        "--dataDir=" + BenchmarkData.home().resolve("data").resolve("store"), "--bucket=bench").create();
    return train(options, "direct-" + workers, data, workers, seconds, seconds, learningRate,
        UnaryOperator.identity());
  }

  /** The training {@code model} makes of the validation split on the DirectRunner, named {@code name}. */
  public static TrainResult trainDirect(BenchmarkData data, String name,
      Function<PCollection<Dataset>, ? extends SgdTraining<?>> model) {
    PipelineOptions options = PipelineOptionsFactory.fromArgs(
        "--dataDir=" + BenchmarkData.home().resolve("data").resolve("store"), "--bucket=bench").create();
    return train(options, name, data, model);
  }

  /**
   * Runs the training named {@code name} (its model at {@code s3://bench/models/NAME}) with {@code options} and brings
   * its result back through the store: for the whole budget ({@code epsilon(0)}), at the L2 penalty of liblinear's
   * C = 1 ({@code 1 / n}, about the 1e-6 of Figure 5's other variants), which these runs have always had.
   */
  static TrainResult train(PipelineOptions options, String name, BenchmarkData data, int workers,
      int seconds, int lifetime, float learningRate, UnaryOperator<LogisticRegression> tuning) {
    return train(options, name, data, validation -> tuning.apply(
        LogisticRegression.withValidationSet(validation)
            .workers(workers)
            .learningRate(learningRate)
            .l2(1f / data.train.rowCount())
            .epsilon(0)
            .evalInterval(Duration.ofSeconds(1))
            .timeout(Duration.ofSeconds(seconds))
            .workerLifetime(Duration.ofSeconds(lifetime))));
  }

  /** Runs the training {@code model} makes of the validation split, as above, with {@code options}. */
  private static TrainResult train(PipelineOptions options, String name, BenchmarkData data,
      Function<PCollection<Dataset>, ? extends SgdTraining<?>> model) {
    String saved = resultLocation(name);
    Pipeline p = Pipeline.create(options);
    p.apply("Train", ReadDataset.from(data.train.location()))
        .apply(model.apply(p.apply("Validation", ReadDataset.from(data.validation.location())))
            .testCurveOn(p.apply("Test", ReadDataset.from(data.test.location())))
            .modelTo("s3://bench/models/" + name))
        .apply(ParDo.of(new SaveResult(saved)));
    p.run().waitUntilFinish();
    return savedResult(data.store, name);
  }

  /** Where the training named {@code name} leaves its result. */
  private static String resultLocation(String name) {
    return "s3://bench/results/" + name;
  }

  /** The result the training named {@code name} left in {@code store}. */
  static TrainResult savedResult(ObjectStore store, String name) {
    return (TrainResult) SerializableUtils.deserializeFromByteArray(
        store.get(S3Path.parse(resultLocation(name))), "training result");
  }

  /** Seconds until the test curve first reaches {@code target}, or NaN if it never does. */
  public static double timeToTarget(TrainResult r, double target) {
    for (CurvePoint p : r.curve()) {
      if (p.testLoss() <= target) {
        return p.seconds();
      }
    }
    return Double.NaN;
  }

  /** Brings the result back to this JVM through the store, wherever the last step ran. */
  static final class SaveResult extends DoFn<TrainResult, Void> {
    private final String location;

    SaveResult(String location) {
      this.location = location;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      ObjectStore.of(StoreOptions.spec(c.getPipelineOptions().as(StoreOptions.class)))
          .put(S3Path.parse(location), SerializableUtils.serializeToByteArray(c.element()));
    }
  }
}
