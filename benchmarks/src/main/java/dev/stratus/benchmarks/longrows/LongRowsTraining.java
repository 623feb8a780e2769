package dev.stratus.benchmarks.longrows;

import dev.stratus.jobs.train.Shards;
import dev.stratus.jobs.train.StepTimes;
import dev.stratus.jobs.train.ThreadWorkers;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.jobs.train.TrainingDriver;
import dev.stratus.jobs.train.TrainingSpec;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.sgd.ClassifierMetrics;
import dev.stratus.ps.Optimizer;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.nio.file.Path;
import java.util.Locale;

/**
 * One timed training on the long-rows data, in a JVM of its own so the benchmark can run another build's kernels and
 * jobs the same way (their classes first on the class path): in-process shards, worker threads, minibatches of 20,
 * for a fixed time. Prints one {@link #RESULT} line and exits.
 *
 * <pre>LongRowsTraining DATA_DIR DATASET_ROOT WORKERS SECONDS</pre>
 */
public final class LongRowsTraining {
  static final String RESULT = "long-rows result: ";
  static final int MINIBATCH = 20;
  private static final int VALIDATION_ROWS = 2_000;

  private LongRowsTraining() {}

  public static void main(String[] args) throws Exception {
    ObjectStore store = ObjectStore.of(StoreSpec.embedded(Path.of(args[0])));
    S3Path root = S3Path.parse(args[1]);
    int workers = Integer.parseInt(args[2]);
    int seconds = Integer.parseInt(args[3]);
    Dataset train = Dataset.open(store, root.resolve("train"));
    SparseRow[] validation = DatasetReader.firstRows(store, Dataset.open(store, root.resolve("test")), VALIDATION_ROWS);
    // No early stop and no epoch limit: every run trains for the whole time, evaluating once a second.
    TrainingSpec spec = new TrainingSpec(
        workers, 1, 1024, Optimizer.ADAGRAD, 0.05f, MINIBATCH, 1e-6f, 0, 5, seconds, 1000, 0, 4, 7, false,
        seconds + 60, 3);
    TrainResult r;
    try (Shards shards = Shards.inProcess(1);
        TrainingDriver job = new TrainingDriver(
            spec, store, store.reachableSpec(), train, validation, shards, new ThreadWorkers(1024), line -> {})) {
      r = job.run(root.resolve("models/run-" + ProcessHandle.current().pid()));
    }
    StepTimes t = r.stepTimes();
    System.out.println(RESULT + String.format(Locale.ROOT, "%.1f %.5f %.4f %d %.4f %.4f %.4f %.4f",
        r.updatesPerSecond(), r.validationMetrics().loss(), ((ClassifierMetrics) r.validationMetrics()).auc(),
        r.updates(),
        t.medianMillis(StepTimes.Step.GET_MODEL), t.medianMillis(StepTimes.Step.GET_MINIBATCH),
        t.medianMillis(StepTimes.Step.COMPUTE_GRADIENT), t.medianMillis(StepTimes.Step.SEND_GRADIENT)));
    System.exit(0);
  }
}
