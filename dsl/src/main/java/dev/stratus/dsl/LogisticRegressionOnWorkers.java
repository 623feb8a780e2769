package dev.stratus.dsl;

import dev.stratus.spi.ExecutionContext;
import dev.stratus.spi.TransformExecutor;
import dev.stratus.spi.WorkerFailedException;
import dev.stratus.spi.Workers;
import dev.stratus.transforms.data.SparseRow;
import dev.stratus.transforms.dataset.Dataset;
import dev.stratus.transforms.dataset.DatasetReader;
import dev.stratus.transforms.train.Shards;
import dev.stratus.transforms.train.TrainResult;
import dev.stratus.transforms.train.TrainingJob;
import dev.stratus.transforms.train.TrainingSpec;
import dev.stratus.transforms.train.WorkerLauncher;
import dev.stratus.transforms.train.WorkerMessages;
import dev.stratus.transforms.train.WorkerTask;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.beam.sdk.transforms.PTransform;

/**
 * {@link LogisticRegression} on a runner with serverless workers (LambdaRunner): the driver starts the shards (or
 * reaches {@code --psEndpoints}), runs the monitor, and invokes the worker function once per worker generation, each
 * running {@link SgdEntryPoint}. Found by the runner through {@code META-INF/services} by the transform's URN.
 */
public final class LogisticRegressionOnWorkers implements TransformExecutor {
  @Override
  public String urn() {
    return LogisticRegression.URN;
  }

  @Override
  public List<?> execute(PTransform<?, ?> transform, ExecutionContext context) throws Exception {
    LogisticRegression training = (LogisticRegression) transform;
    TrainingSpec spec = training.spec();
    List<Dataset> validationSets = context.elementsOf(training.validationSet());
    if (validationSets.size() != 1) {
      throw new IllegalArgumentException(
          "LogisticRegression: the validation set must be one dataset, got " + validationSets.size());
    }
    SparseRow[] validationRows =
        DatasetReader.firstRows(context.store(), validationSets.get(0), LogisticRegression.MAX_VALIDATION_ROWS);
    List<TrainResult> results = new ArrayList<>();
    for (Object element : context.mainInput()) {
      Dataset train = (Dataset) element;
      try (Shards shards = TrainingOptions.shards(context.options().as(TrainingOptions.class), spec, true);
          InvokedWorkers workers = new InvokedWorkers(context.workers());
          TrainingJob job =
              new TrainingJob(spec, context.store(), context.workerStore(), train, validationRows, shards, workers,
                  System.out::println)) {
        System.out.printf("training on %s: %d Lambda workers (%d MB, %d s timeout), %d parameter-server shards%n",
            train.location(), spec.workers(), context.workers().memoryMb(), context.workers().timeoutSeconds(),
            shards.addresses().size());
        results.add(job.run(LogisticRegression.modelPath(training.modelTo(), train)));
      }
    }
    return results;
  }

  /** Worker generations as invocations of the runner's worker function, each running {@link SgdEntryPoint}. */
  private static final class InvokedWorkers implements WorkerLauncher {
    private final Workers workers;

    InvokedWorkers(Workers workers) {
      this.workers = workers;
    }

    @Override
    public Running launch(WorkerTask task) {
      CompletableFuture<WorkerTask.WorkerOutcome> outcome =
          workers.invoke(SgdEntryPoint.NAME, WorkerMessages.task(task)).thenApply(WorkerMessages::outcome);
      return new Running(
          outcome,
          () ->
              outcome.completeExceptionally(
                  new WorkerFailedException("Abandoned", "the driver gave up on this invocation")));
    }

    /** Nothing to end: a Lambda invocation cannot be cancelled; every worker returns once the job's stop is set. */
    @Override
    public void close() {}
  }
}
