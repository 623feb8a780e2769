package dev.stratus.dsl;

import dev.stratus.jobs.train.GradientWorker;
import dev.stratus.jobs.train.WorkerCheckpoints;
import dev.stratus.jvm.ClassPath;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.kernels.reference.Liblinear;
import dev.stratus.lambda.local.FunctionSpec;
import dev.stratus.lambda.local.LocalLambdaService;
import dev.stratus.runner.lambda.LambdaRunner;
import dev.stratus.runner.lambda.LambdaRunnerOptions;
import dev.stratus.runner.lambda.message.WorkerFunction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * What the tests that train on LambdaRunner share: a local Lambda service (process environments) with the worker
 * function and its variant at twice its memory, planted data under {@code root} (train, validation), the test rows training never sees, and liblinear's
 * best test logloss on them.
 */
record LambdaTrainingSetup(LocalLambdaService lambda, SparseRow[] testRows, double optimum) implements AutoCloseable {
  static final String FUNCTION = "stratus-worker";
  static final int FEATURES = 2_000;
  /** The worker function's memory, and the size its one variant is offered at ({@code --workerMemorySizesMb}). */
  static final int MEMORY_MB = 512;
  static final int VARIANT_MB = 1024;

  /** The options of both: PipelineOptionsFactory needs one interface naming every option it is given. */
  public interface StoreOptionsAndRunner extends LambdaRunnerOptions, TrainingOptions {}

  static LambdaTrainingSetup start(String root, int concurrencyLimit) {
    LocalLambdaService.Config defaults = LocalLambdaService.Config.defaults();
    List<String> jvmOptions = new ArrayList<>(defaults.jvmOptions());
    // The line a fault-injection test waits for before it kills a worker's environment.
    jvmOptions.add("-Dorg.slf4j.simpleLogger.log." + WorkerCheckpoints.class.getName() + "=debug");
    jvmOptions.add("-Dorg.slf4j.simpleLogger.log." + GradientWorker.class.getName() + "=debug");
    LocalLambdaService lambda =
        LocalLambdaService.start(defaults.withConcurrencyLimit(concurrencyLimit).withJvmOptions(jvmOptions));
    for (int memoryMb : List.of(MEMORY_MB, VARIANT_MB)) {
      lambda.registerFunction(
          FunctionSpec.of(memoryMb == MEMORY_MB ? FUNCTION : WorkerFunction.nameAt(FUNCTION, memoryMb),
                  WorkerFunction.HANDLER, ClassPath.currentEntries())
              .withMemoryMb(memoryMb)
              .withTimeoutSeconds(120));
    }
    PlantedData data = new PlantedData(FEATURES, 40_000, 10_000, 2024);
    List<SparseRow> test = DataTesting.writePlanted(root, data);
    try {
      return new LambdaTrainingSetup(
          lambda, test.toArray(new SparseRow[0]), Liblinear.bestOf(data.train, test, 0.1, 1, 10).test().loss());
    } catch (IOException e) {
      lambda.close();
      throw new UncheckedIOException(e);
    }
  }

  /** LambdaRunner on this service, signing its calls with the service's own keys. */
  StoreOptionsAndRunner options() {
    StoreOptionsAndRunner options =
        PipelineOptionsFactory.fromArgs(
                "--runner=LambdaRunner",
                "--dataDir=" + DataTesting.DIR.resolve("store"),
                "--lambdaEndpoint=" + lambda.endpoint(),
                "--functionName=" + FUNCTION,
                "--workerMemoryMb=" + MEMORY_MB,
                "--workerMemorySizesMb=" + VARIANT_MB,
                "--taskTimeoutSeconds=120")
            .as(StoreOptionsAndRunner.class);
    options.setRunner(LambdaRunner.class);
    options.setLambdaCredentials(lambda.credentialsProvider());
    return options;
  }

  @Override
  public void close() {
    lambda.close();
  }
}
