package dev.stratus.pipelines;

import dev.stratus.dsl.LoadCriteo;
import dev.stratus.dsl.LogisticRegression;
import dev.stratus.dsl.Normalize;
import dev.stratus.dsl.ReadDataset;
import dev.stratus.dsl.Split;
import dev.stratus.dsl.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import dev.stratus.transforms.dataset.Dataset;
import dev.stratus.transforms.generate.CriteoGenerator;
import dev.stratus.transforms.train.TrainResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * The main job, the project's front door: generate Criteo-like click logs, load them into the object store, normalize,
 * split, and train sparse logistic regression with asynchronous SGD against parameter-server shards, printing the
 * test loss as it falls and the planted model's loss beside it.
 *
 * <p>Each step runs as its own pipeline so its time can be told; the datasets between them live in the store.
 */
public final class CriteoJob {
  /** The job's options; every store option of {@link StoreOptions} applies too. */
  public interface Options extends StoreOptions {
    @Description("Rows to generate")
    @Default.Long(300_000)
    long getRows();

    void setRows(long rows);

    @Description("Categorical features are hashed into 2^modelBits features")
    @Default.Integer(18)
    int getModelBits();

    void setModelBits(int bits);

    @Description("SGD workers")
    @Default.Integer(2)
    int getWorkers();

    void setWorkers(int workers);

    @Description("Parameter-server shards")
    @Default.Integer(1)
    int getPsShards();

    void setPsShards(int shards);

    @Description("Training time limit in seconds")
    @Default.Integer(120)
    int getTrainSeconds();

    void setTrainSeconds(int seconds);

    @Description("Seed of the generated data")
    @Default.Long(42)
    long getSeed();

    void setSeed(long seed);
  }

  private CriteoJob() {}

  public static void main(String[] args) {
    try {
      run(args);
      // The embedded store's server threads would keep the JVM alive; its shutdown hook stops it.
      System.exit(0);
    } catch (Exception e) {
      // One clear line, not a stack trace: the pipeline's own failure is the innermost cause.
      Throwable cause = e;
      while (cause.getCause() != null && cause.getCause() != cause) {
        cause = cause.getCause();
      }
      System.err.println("error: " + (cause.getMessage() != null ? cause.getMessage() : cause.toString()));
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    PipelineOptionsFactory.register(Options.class);
    Options options = PipelineOptionsFactory.fromArgs(args).withValidation().as(Options.class);
    if (options.getRows() < 100 || options.getRows() > 1_000_000_000L) {
      throw new IllegalArgumentException("--rows must be in [100, 1000000000], got " + options.getRows());
    }
    String root = "s3://" + options.getBucket() + "/criteo-" + options.getRows() + "-" + options.getSeed();
    StoreSpec spec = StoreOptions.spec(options);
    ObjectStore store = ObjectStore.of(spec);
    store.ensureBucket(options.getBucket());
    System.out.printf(
        "Stratus main job: %,d Criteo-like rows, 2^%d features, %d worker(s), %d PS shard(s); store: %s%n%n",
        options.getRows(), options.getModelBits(), options.getWorkers(), options.getPsShards(), spec.describe());
    System.out.printf("%-10s %9s  %s%n", "step", "seconds", "written");

    Path input = Path.of(options.getDataDir(), "input", "criteo-" + options.getRows() + "-" + options.getSeed() + ".tsv");
    String raw = root + "/raw";
    // Built before any work so a bad option stops the job at once.
    LoadCriteo load = LoadCriteo.from(input.toString()).modelBits(options.getModelBits()).to(raw);
    Files.createDirectories(input.getParent());
    long start = System.nanoTime();
    CriteoGenerator.Summary generated = CriteoGenerator.withSeed(options.getSeed()).writeTsv(input, options.getRows());
    report("generate", start, input + ": " + generated);

    step(options, "load", store, raw, p -> p.apply(load));

    String normalized = root + "/normalized";
    step(options, "normalize", store, normalized, p -> p.apply(ReadDataset.from(raw)).apply(Normalize.minMax().to(normalized)));

    String train = root + "/train";
    String test = root + "/test";
    step(options, "split", store, test, p -> p.apply(ReadDataset.from(normalized)).apply(Split.fraction(0.8).seed(7).to(train, test)));
    System.out.printf("%-10s %9s  %s%n", "", "", describe(store, train));

    System.out.printf("%ntraining (test loss as it falls; the planted model's own loss, the floor, is %.5f):%n",
        generated.bayesLogloss());
    start = System.nanoTime();
    Pipeline p = Pipeline.create(options);
    PCollection<Dataset> testSet = p.apply("Test", ReadDataset.from(test));
    p.apply("Train", ReadDataset.from(train))
        .apply(
            LogisticRegression.withTestSet(testSet)
                .workers(options.getWorkers())
                .psShards(options.getPsShards())
                .timeout(Duration.ofSeconds(options.getTrainSeconds()))
                .modelTo(root + "/model/model.bin"))
        .apply(ParDo.of(new PrintResult(generated.bayesLogloss())));
    p.run().waitUntilFinish();
    report("train", start, root + "/model/model.bin");
  }

  private static void step(Options options, String name, ObjectStore store, String output, Consumer<Pipeline> build) {
    long start = System.nanoTime();
    Pipeline p = Pipeline.create(options);
    build.accept(p);
    p.run().waitUntilFinish();
    report(name, start, describe(store, output));
  }

  private static String describe(ObjectStore store, String location) {
    Dataset d = Dataset.open(store, S3Path.parse(location));
    long bytes = d.manifest().partitions().stream().mapToLong(part -> part.bytes()).sum();
    return String.format(
        "%s: %,d rows in %d partition(s), %,d features, %.1f MB",
        location, d.rowCount(), d.manifest().partitions().size(), d.featureCount(), bytes / 1e6);
  }

  private static void report(String step, long startNanos, String written) {
    System.out.printf("%-10s %9.1f  %s%n", step, (System.nanoTime() - startNanos) / 1e9, written);
  }

  /** Prints the training result where the training ran: the driver, on the DirectRunner. */
  static final class PrintResult extends DoFn<TrainResult, Void> {
    private final double floor;

    PrintResult(double floor) {
      this.floor = floor;
    }

    @ProcessElement
    public void process(@Element TrainResult r) {
      System.out.printf(
          "%nfinal test logloss %.5f (planted model %.5f, gap %.5f), AUC %.4f, accuracy %.4f%n"
              + "stopped: %s after %,d updates at %,.0f updates/s; worker stall %.2f s%n"
              + "median ms per iteration: get model %.3f, get minibatch %.3f, compute gradient %.3f, send gradient %.3f%n",
          r.finalMetrics().logloss(), floor, r.finalMetrics().logloss() - floor, r.finalMetrics().auc(),
          r.finalMetrics().accuracy(), r.stopReason(), r.updates(), r.updatesPerSecond(), r.stallSeconds(),
          r.stepTimes().medianMillis(dev.stratus.transforms.train.StepTimes.Step.GET_MODEL),
          r.stepTimes().medianMillis(dev.stratus.transforms.train.StepTimes.Step.GET_MINIBATCH),
          r.stepTimes().medianMillis(dev.stratus.transforms.train.StepTimes.Step.COMPUTE_GRADIENT),
          r.stepTimes().medianMillis(dev.stratus.transforms.train.StepTimes.Step.SEND_GRADIENT));
    }
  }
}
