package dev.stratus.dsl;

import dev.stratus.ps.Optimizer;
import dev.stratus.store.S3Path;
import dev.stratus.transforms.data.SparseRow;
import dev.stratus.transforms.dataset.Dataset;
import dev.stratus.transforms.dataset.DatasetReader;
import dev.stratus.transforms.train.LocalTraining;
import dev.stratus.transforms.train.TrainResult;
import dev.stratus.transforms.train.TrainingSpec;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * Sparse logistic regression trained by asynchronous SGD: {@code workers} workers pull the model rows their
 * minibatches touch from {@code psShards} parameter-server shards, compute gradients and push them back, while a
 * monitor evaluates the test loss and stops the job on {@code epsilon}, the timeout or divergence.
 *
 * <pre>{@code
 * PCollection<TrainResult> result =
 *     split.train().apply(LogisticRegression.withTestSet(split.test()).workers(4).learningRate(0.05f));
 * }</pre>
 *
 * <p>It has a URN ({@link #URN}) so a runner can replace it with its own execution (Lambda workers); the
 * DirectRunner runs the default expansion, which trains inside one JVM with in-process shards and worker threads.
 * Every option is checked when set, with its valid range in the message.
 */
public final class LogisticRegression extends PTransform<PCollection<Dataset>, PCollection<TrainResult>> {
  public static final String URN = "stratus:transform:logistic_regression:v1";

  /** Evaluating the test loss costs the monitor a pass over the test rows: this many at most. */
  static final int MAX_TEST_ROWS = 200_000;

  private final PCollection<Dataset> testSet;
  private int workers = 1;
  private int psShards = 1;
  private int workerMemoryMb = 1769;
  private Optimizer optimizer = Optimizer.ADAGRAD;
  private float learningRate = 0.1f;
  private int minibatchSize = 20;
  private float l2 = 1e-6f;
  private double epsilon = 1e-4;
  private int window = 5;
  private Duration timeout = Duration.ofMinutes(10);
  private Duration evalInterval = Duration.ofMillis(500);
  private int epochs = 0;
  private int maxPushesInFlight = 4;
  private long seed = 1;
  private boolean workerProcesses;
  private String modelTo;

  private LogisticRegression(PCollection<Dataset> testSet) {
    this.testSet = testSet;
  }

  /** Trains on the input dataset and measures the loss on {@code testSet} as it goes. */
  public static LogisticRegression withTestSet(PCollection<Dataset> testSet) {
    return new LogisticRegression(testSet);
  }

  public LogisticRegression workers(int n) {
    workers = Checks.inRange("workers", n, 1, 1000);
    return this;
  }

  public LogisticRegression psShards(int n) {
    psShards = Checks.inRange("psShards", n, 1, 64);
    return this;
  }

  /** Memory of one worker in MB, as for a Lambda function (128 to 10,240). */
  public LogisticRegression workerMemoryMb(int mb) {
    workerMemoryMb = Checks.inRange("workerMemoryMb", mb, 128, 10_240);
    return this;
  }

  public LogisticRegression optimizer(Optimizer o) {
    if (o == null) {
      throw new IllegalArgumentException("optimizer must be one of SGD, ADAGRAD, MOMENTUM, got null");
    }
    optimizer = o;
    return this;
  }

  public LogisticRegression learningRate(float rate) {
    learningRate = (float) Checks.inRange("learningRate", rate, 1e-9, 100, false);
    return this;
  }

  public LogisticRegression minibatchSize(int rows) {
    minibatchSize = Checks.inRange("minibatchSize", rows, 1, 100_000);
    return this;
  }

  public LogisticRegression l2(float penalty) {
    l2 = (float) Checks.inRange("l2", penalty, 0, 1e3, true);
    return this;
  }

  /** Stop when the best test loss improves by less than this over {@code window} evaluations; 0 never stops so. */
  public LogisticRegression epsilon(double minImprovement) {
    epsilon = Checks.inRange("epsilon", minImprovement, 0, 10, true);
    return this;
  }

  public LogisticRegression window(int evaluations) {
    window = Checks.inRange("window", evaluations, 1, 1000);
    return this;
  }

  public LogisticRegression timeout(Duration limit) {
    timeout = Checks.inRange("timeout", limit, Duration.ofSeconds(1), Duration.ofDays(1));
    return this;
  }

  public LogisticRegression evalInterval(Duration interval) {
    evalInterval = Checks.inRange("evalInterval", interval, Duration.ofMillis(10), Duration.ofHours(1));
    return this;
  }

  /** Passes over the training data; 0 (the default) trains until epsilon or the timeout stops it. */
  public LogisticRegression epochs(int passes) {
    epochs = Checks.inRange("epochs", passes, 0, 100_000);
    return this;
  }

  public LogisticRegression maxPushesInFlight(int pushes) {
    maxPushesInFlight = Checks.inRange("maxPushesInFlight", pushes, 1, 1024);
    return this;
  }

  public LogisticRegression seed(long value) {
    seed = value;
    return this;
  }

  /**
   * Runs each worker of the default expansion in a JVM of its own with a heap of {@code workerMemoryMb}, as a Lambda
   * environment would, instead of in a thread of the pipeline's JVM.
   */
  public LogisticRegression workerProcesses(boolean separate) {
    workerProcesses = separate;
    return this;
  }

  /** Where the model is written ({@code s3://bucket/key}); default: beside the training data under models/. */
  public LogisticRegression modelTo(String location) {
    S3Path.parse(location);
    modelTo = location;
    return this;
  }

  public TrainingSpec spec() {
    return new TrainingSpec(
        workers,
        psShards,
        workerMemoryMb,
        optimizer,
        learningRate,
        minibatchSize,
        l2,
        epsilon,
        window,
        timeout.toMillis() / 1000.0,
        evalInterval.toMillis(),
        epochs,
        maxPushesInFlight,
        seed,
        workerProcesses);
  }

  @Override
  public PCollection<TrainResult> expand(PCollection<Dataset> train) {
    PCollectionView<Dataset> test = testSet.apply("TestSetView", View.asSingleton());
    return train
        .apply("Train", ParDo.of(new TrainFn(spec(), modelTo, test)).withSideInputs(test))
        .setCoder(SerializableCoder.of(TrainResult.class));
  }

  /** The default expansion: the whole job inside this DoFn, with in-process shards and worker threads. */
  static final class TrainFn extends StoreDoFn<Dataset, TrainResult> {
    private final TrainingSpec spec;
    private final String modelTo;
    private final PCollectionView<Dataset> test;

    TrainFn(TrainingSpec spec, String modelTo, PCollectionView<Dataset> test) {
      this.spec = spec;
      this.modelTo = modelTo;
      this.test = test;
    }

    @ProcessElement
    public void process(@Element Dataset train, ProcessContext c) throws Exception {
      SparseRow[] testRows = DatasetReader.firstRows(store, c.sideInput(test), MAX_TEST_ROWS);
      S3Path modelPath = modelTo != null ? S3Path.parse(modelTo) : defaultModelPath(train);
      try (LocalTraining job = new LocalTraining(spec, store, train, testRows)) {
        c.output(job.run(modelPath));
      }
    }

    private static S3Path defaultModelPath(Dataset train) {
      S3Path data = train.path();
      String key = data.key().endsWith("/") ? data.key().substring(0, data.key().length() - 1) : data.key();
      String name = key.substring(key.lastIndexOf('/') + 1);
      String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
      return new S3Path(data.bucket(), "models/" + name + "-" + stamp + "/model.bin");
    }
  }
}
