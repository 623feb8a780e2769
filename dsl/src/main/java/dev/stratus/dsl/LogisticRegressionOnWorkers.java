package dev.stratus.dsl;

import dev.stratus.jobs.train.ConsoleView;
import dev.stratus.jobs.train.Shards;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.jobs.train.TrainingDriver;
import dev.stratus.jobs.train.TrainingSpec;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.spi.ExecutionContext;
import dev.stratus.spi.TransformExecutor;
import java.util.ArrayList;
import java.util.List;
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
    SparseRow[] validationRows =
        LogisticRegression.validationRows(
            context.store(), context.elementsOf(training.validationSet()), "LogisticRegression");
    List<TrainResult> results = new ArrayList<>();
    for (Object element : context.mainInput()) {
      Dataset train = (Dataset) element;
      try (ConsoleView console = ConsoleView.onStandardOutput();
          Shards shards = shardsOnWorkers(context, spec);
          InvocationWorkers workers = new InvocationWorkers(context.workers());
          TrainingDriver job =
              new TrainingDriver(spec, context.store(), context.workerStore(), train, validationRows, shards, workers,
                  console::message)) {
        System.out.printf("training on %s: %d Lambda workers (%d MB, %d s timeout), %d parameter-server shards%n",
            train.location(), spec.workers(), context.workers().memoryMb(), context.workers().timeoutSeconds(),
            shards.addresses().size());
        results.add(
            LogisticRegression.runShown(job, console, spec, LogisticRegression.modelPath(training.modelTo(), train)));
      }
    }
    return results;
  }

  /** The shards of training on Lambda workers: processes beside the driver, or those {@code --psEndpoints} names. */
  static Shards shardsOnWorkers(ExecutionContext context, TrainingSpec spec) throws Exception {
    return TrainingOptions.shards(context.options().as(TrainingOptions.class), spec, true);
  }
}
