package dev.stratus.dsl;

import dev.stratus.jobs.search.SearchResult;
import dev.stratus.jobs.train.Shards;
import dev.stratus.jvm.Futures;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.spi.ExecutionContext;
import dev.stratus.store.S3Path;
import dev.stratus.spi.TransformExecutor;
import dev.stratus.spi.Workers;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.PTransform;

/**
 * {@link GridSearch} and {@link RandomSearch} on a runner with serverless workers (LambdaRunner): the driver starts
 * the shards once for the whole search (or reaches {@code --psEndpoints}), and every experiment's workers are
 * invocations of the worker function, as {@link SgdTrainingOnWorkers} launches them. Found by the runner
 * through {@code META-INF/services} by the search's URN.
 */
public final class HyperparameterSearchOnWorkers implements TransformExecutor {
  @Override
  public String urn() {
    return HyperparameterSearch.URN;
  }

  @Override
  public void checkBeforeRun(PTransform<?, ?> transform, PipelineOptions options, Workers workers) {
    SgdTrainingOnWorkers.refuseUnreachableShards(options.as(TrainingOptions.class), workers);
  }

  @Override
  public List<?> execute(PTransform<?, ?> transform, ExecutionContext context) throws Exception {
    HyperparameterSearch<?> search = (HyperparameterSearch<?>) transform;
    SearchPlan plan = search.plan();
    Future<SparseRow[]> validationRows = SgdTraining.evaluationRowsMeanwhile(
        context.store(), context.elementsOf(search.validationSet()), plan.transform(), "validation set");
    List<SearchResult> results = new ArrayList<>();
    for (Object element : context.mainInput()) {
      Dataset train = (Dataset) element;
      S3Path checkpoint = plan.shardCheckpoint(train);
      try (Shards shards = SgdTrainingOnWorkers.shardsOnWorkers(context, plan.baseSpec(), checkpoint, true)) {
        System.out.printf("%s: each worker a Lambda invocation (%d MB, %d s timeout)%n", plan.transform(),
            context.workers().memoryMb(), context.workers().timeoutSeconds());
        results.add(
            plan.run(context.store(), context.workerStore(), train, Futures.result(validationRows), shards,
                () -> new InvocationWorkers(context.workers()), context.workers().memoryMb(), context.options()));
      }
    }
    return results;
  }
}
