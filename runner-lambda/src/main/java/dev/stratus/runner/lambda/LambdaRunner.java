package dev.stratus.runner.lambda;

import dev.stratus.runner.lambda.graph.ExecutionGraph;
import dev.stratus.runner.lambda.message.WorkerFunction;
import dev.stratus.runner.lambda.scheduler.TaskFailedException;
import dev.stratus.runner.lambda.scheduler.TaskInvoker;
import dev.stratus.runner.lambda.scheduler.TaskScheduler;
import dev.stratus.runner.lambda.translate.LambdaOverrides;
import dev.stratus.runner.lambda.translate.PipelineTranslator;
import dev.stratus.spi.StoreOptions;
import dev.stratus.spi.Workers;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.time.Duration;
import java.util.UUID;
import org.apache.beam.runners.core.construction.SerializablePipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsValidator;

/**
 * Runs a Beam pipeline as AWS Lambda invocations: the graph becomes stages of fused DoFns between shuffles, each
 * stage one task per partition, each task one invocation of the worker function; data moves through the object
 * store. {@link #run} blocks until the pipeline is done and throws the first task failure as the worker's exception
 * (rebuilt from its type, message and stack, see {@code TaskFailedException}).
 *
 * <pre>{@code
 * --runner=LambdaRunner                       # embedded local Lambda service and embedded store
 * --runner=LambdaRunner --lambdaEndpoint=aws --storeEndpoint=aws --bucket=my-bucket --lambdaRegion=eu-west-1
 * }</pre>
 */
public final class LambdaRunner extends PipelineRunner<PipelineResult> {
  private final LambdaRunnerOptions options;

  private LambdaRunner(LambdaRunnerOptions options) {
    this.options = options;
  }

  public static LambdaRunner fromOptions(PipelineOptions options) {
    LambdaRunnerOptions lambda = PipelineOptionsValidator.validate(LambdaRunnerOptions.class, options);
    checkRange("workerMemoryMb", lambda.getWorkerMemoryMb(), 128, 10_240, "Lambda's memory setting");
    for (int sizeMb : lambda.getWorkerMemorySizesMb()) {
      checkRange("workerMemorySizesMb", sizeMb, 128, 10_240, "Lambda's memory setting");
      WorkerFunction.nameAt(lambda.getFunctionName(), sizeMb); // refuses a variant's name Lambda would not take
    }
    checkRange("taskTimeoutSeconds", lambda.getTaskTimeoutSeconds(), 1, 900, "Lambda's timeout");
    checkRange("maxConcurrency", lambda.getMaxConcurrency(), 1, Integer.MAX_VALUE, "attempts at once");
    checkRange("maxAttempts", lambda.getMaxAttempts(), 1, Integer.MAX_VALUE, "attempts per task");
    checkRange("retryBackoffMillis", lambda.getRetryBackoffMillis(), 0, 60_000,
        "the first wait before a retry, doubled at each one");
    checkRange("bundleSizeMb", lambda.getBundleSizeMb(), 1, Integer.MAX_VALUE, "megabytes per task");
    checkRange("shufflePartitions", lambda.getShufflePartitions(), 0, 1 << 16,
        "0 sizes reduce tasks by the data, more fixes the hash partitions");
    return new LambdaRunner(lambda);
  }

  /**
   * Stops the embedded local Lambda services this JVM started, and their worker environments, which otherwise stay
   * warm until the JVM exits: for a long-lived driver that must leave no environment running, or must start cold.
   */
  public static void stopLocalServices() {
    WorkerFunctionConnector.stopLocalServices();
  }

  private static void checkRange(String option, int value, int min, int max, String meaning) {
    if (value < min || value > max) {
      throw new IllegalArgumentException("--" + option + "=" + value + " is out of range: " + min + ".."
          + (max == Integer.MAX_VALUE ? "" : String.valueOf(max)) + " (" + meaning + ")");
    }
  }

  /**
   * The pipeline options as DoFns on workers see them, as every stage plan in the store holds them: without the
   * store's keys, which a worker takes from its invocation payload instead. With the embedded store they name the
   * driver's store server by its endpoint: DoFns that open the store from the options (the DSL's) then reach the
   * driver's data from any worker process, instead of starting an embedded store of their own.
   */
  private String workerOptionsJson(StoreSpec storeSpec, StoreSpec workerStore) {
    // A copy through JSON: SerializablePipelineOptions.get() would hand back the driver's own options.
    StoreOptions workerOptions = new SerializablePipelineOptions(new SerializablePipelineOptions(options).toString())
        .get().as(StoreOptions.class);
    if (storeSpec.isEmbedded()) {
      workerOptions.setStoreEndpoint(workerStore.endpoint().toString());
      workerOptions.setStoreRegion(workerStore.region());
    }
    workerOptions.setStoreAccessKey("");
    workerOptions.setStoreSecretKey("");
    return new SerializablePipelineOptions(workerOptions).toString();
  }

  /**
   * Refuses, before the store is touched, a store that workers running elsewhere could never reach: the embedded one,
   * which serves on this machine's loopback, or an endpoint on loopback or link-local addresses. Otherwise every task
   * would fail to read its input {@code maxAttempts} times before the run failed.
   */
  private void refuseUnreachableStore(StoreSpec store) {
    if (TaskConcurrency.runsOnThisMachine(options.getLambdaEndpoint())) {
      return;
    }
    String unreachable;
    if (store.isEmbedded()) {
      unreachable = store.describe() + ", which serves on this machine's loopback";
    } else if (store.endpoint() != null && Workers.onlyThisMachineReaches(store.endpoint().getHost())) {
      unreachable = store.describe() + " (--storeEndpoint: loopback and link-local addresses are not reachable from"
          + " other machines)";
    } else {
      return;
    }
    throw new IllegalArgumentException("workers run " + WorkerFunctionConnector.location(options)
        + " and cannot reach " + unreachable + ": pass --storeEndpoint=aws --bucket=BUCKET, or an S3-compatible"
        + " endpoint the workers reach (README: Running on Lambda)");
  }

  @Override
  public PipelineResult run(Pipeline pipeline) {
    MetricsEnvironment.setMetricsSupported(true);
    LambdaOverrides.apply(pipeline);
    int fixedPartitions = options.getShufflePartitions();
    ExecutionGraph graph = PipelineTranslator.translate(
        pipeline, fixedPartitions > 0 ? fixedPartitions : LambdaRunnerOptions.DATA_SIZED_SHUFFLE_PARTITIONS);

    StoreSpec storeSpec = StoreOptions.spec(options);
    refuseUnreachableStore(storeSpec);
    ObjectStore store = ObjectStore.of(storeSpec);
    StoreSpec workerStore = store.reachableSpec();
    S3Path jobDir = new S3Path(options.getBucket(), "lambda-runner/" + options.getJobName() + "-" + UUID.randomUUID() + "/");

    TaskInvoker invoker = WorkerFunctionConnector.connect(options);
    try {
      TaskScheduler scheduler =
          new TaskScheduler(
              new TaskScheduler.Config(
                  store,
                  invoker,
                  options.getMaxConcurrency(),
                  jobDir,
                  workerStore,
                  options,
                  workerOptionsJson(storeSpec, workerStore),
                  options.getMaxAttempts(),
                  Duration.ofMillis(options.getRetryBackoffMillis()),
                  options.getBundleSizeMb() * 1024L * 1024L,
                  fixedPartitions > 0,
                  options.getFunctionName(),
                  options.getTaskTimeoutSeconds(),
                  options.getWorkerMemoryMb(),
                  options.getWorkerMemorySizesMb(),
                  WorkerFunctionConnector.onAws(options),
                  TaskConcurrency.runsOnThisMachine(options.getLambdaEndpoint()),
                  WorkerFunctionConnector.location(options)));
      // Refusals come before the store is first touched: a store the workers cannot reach may not answer us either.
      scheduler.checkBeforeRun(graph);
      store.ensureBucket(options.getBucket());
      try {
        return new LambdaPipelineResult(scheduler.run(graph).metricResults(), scheduler.stageReports());
      } finally {
        if (!options.getKeepIntermediateData()) {
          store.deleteAll(jobDir);
        }
      }
    } catch (TaskFailedException e) {
      Throwable cause = e.getCause();
      if (cause == null) {
        throw new Pipeline.PipelineExecutionException(e);
      }
      cause.addSuppressed(e);
      throw new Pipeline.PipelineExecutionException(cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running the pipeline", e);
    } finally {
      invoker.close();
    }
  }
}
