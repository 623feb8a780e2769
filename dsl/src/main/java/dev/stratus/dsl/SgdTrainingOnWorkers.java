package dev.stratus.dsl;

import dev.stratus.jobs.train.ConsoleView;
import dev.stratus.jobs.train.Shards;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.jobs.train.TrainingDriver;
import dev.stratus.jobs.train.TrainingSpec;
import dev.stratus.jvm.Futures;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.ps.ShardAddress;
import dev.stratus.spi.ExecutionContext;
import dev.stratus.store.S3Path;
import dev.stratus.spi.TransformExecutor;
import dev.stratus.spi.Workers;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.PTransform;

/**
 * A {@link SgdTraining} (any of its models) on a runner with serverless workers
 * (LambdaRunner): the driver starts the shards (or reaches {@code --psEndpoints}), runs the monitor, and invokes the worker function once per worker generation, each
 * running {@link SgdEntryPoint}. Found by the runner through {@code META-INF/services} by the transform's URN. Shards
 * that workers running elsewhere cannot reach are refused before the pipeline runs ({@link #checkBeforeRun}).
 */
public final class SgdTrainingOnWorkers implements TransformExecutor {
  @Override
  public String urn() {
    return SgdTraining.URN;
  }

  @Override
  public List<?> execute(PTransform<?, ?> transform, ExecutionContext context) throws Exception {
    SgdTraining<?> training = (SgdTraining<?>) transform;
    TrainingSpec spec = training.spec();
    String name = training.getClass().getSimpleName();
    Future<SparseRow[]> validationRows = SgdTraining.evaluationRowsMeanwhile(
        context.store(), context.elementsOf(training.validationSet()), name, "validation set");
    Future<SparseRow[]> testCurveRows = training.testCurveSet() == null ? null : SgdTraining.evaluationRowsMeanwhile(
        context.store(), context.elementsOf(training.testCurveSet()), name, "test curve set");
    List<TrainResult> results = new ArrayList<>();
    for (Object element : context.mainInput()) {
      Dataset train = (Dataset) element;
      long launched = System.nanoTime(); // the training's clock counts its launch, shards and evaluation rows included
      S3Path modelPath = SgdTraining.modelPath(training.modelTo(), train);
      boolean resume = training.resumes(context.options());
      if (!resume) {
        // a previous training's snapshots there would be restored by the shards, and its model kept in their memory
        context.store().deleteAll(checkpointOf(modelPath));
      }
      try (ConsoleView console = ConsoleView.onStandardOutput();
          Shards shards = shardsOnWorkers(context, spec, checkpointOf(modelPath), resume);
          InvocationWorkers workers = new InvocationWorkers(context.workers());
          TrainingDriver job = new TrainingDriver(spec, context.store(), context.workerStore(), train,
              Futures.result(validationRows), shards, workers, console::message)) {
        if (resume) {
          job.resumingFromSnapshots();
        } else {
          job.resumable();
        }
        if (testCurveRows != null) {
          job.testCurveOn(Futures.result(testCurveRows));
        }
        job.launchedAt(launched);
        System.out.printf("training on %s: %s Lambda workers (%d MB, %d s timeout), %d parameter-server shards%n",
            train.location(), spec.workers() == TrainingSpec.AUTO_WORKERS ? "auto" : spec.workers(),
            context.workers().memoryMb(), context.workers().timeoutSeconds(), shards.count());
        results.add(SgdTraining.runShown(job, console, spec, modelPath));
      }
    }
    return results;
  }

  @Override
  public void checkBeforeRun(PTransform<?, ?> transform, PipelineOptions options, Workers workers) {
    refuseUnreachableShards(options.as(TrainingOptions.class), workers);
  }

  /**
   * Refuses shards that workers running elsewhere could never reach, before any worker runs: those the driver would
   * start on its loopback, or {@code --psEndpoints} on loopback or link-local addresses. Otherwise each worker would
   * fail to connect {@code maxWorkerFailures} + 1 times before the job failed, minutes later.
   */
  static void refuseUnreachableShards(TrainingOptions options, Workers workers) {
    if (workers.onThisMachine()) {
      return;
    }
    List<InetSocketAddress> endpoints = TrainingOptions.endpoints(options);
    String unreachable;
    if (endpoints.isEmpty()) {
      unreachable = "127.0.0.1"; // where the driver starts shards of its own (ShardConfig's default bind)
    } else {
      List<String> local = endpoints.stream()
          .filter(endpoint -> Workers.onlyThisMachineReaches(endpoint.getHostString()))
          .map(ShardAddress::format)
          .toList();
      if (local.isEmpty()) {
        return;
      }
      unreachable = String.join(", ", local) + " (--psEndpoints: loopback and link-local addresses are not reachable"
          + " from other machines)";
    }
    throw new IllegalArgumentException("workers run " + workers.location() + " and cannot reach parameter-server"
        + " shards on " + unreachable + ": start shards where Lambda can reach them and pass"
        + " --psEndpoints=host:port,... (README: Running on Lambda)");
  }

  /**
   * The shards of training on Lambda workers: those {@code --psEndpoints} names, or processes beside the driver that
   * snapshot their models under {@code checkpoint}, restore what it holds when {@code restore} (else it holds nothing
   * yet), and come back from there when they die.
   */
  static Shards shardsOnWorkers(ExecutionContext context, TrainingSpec spec, S3Path checkpoint, boolean restore)
      throws Exception {
    return TrainingOptions.shards(context.options().as(TrainingOptions.class), spec, checkpoint,
        context.workerStore(), restore);
  }

  /** Where the shards of the training that writes its model to {@code modelPath} snapshot it: beside the model. */
  static S3Path checkpointOf(S3Path modelPath) {
    return new S3Path(modelPath.bucket(), modelPath.key() + ".shards/");
  }
}
