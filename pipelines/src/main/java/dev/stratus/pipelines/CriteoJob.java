package dev.stratus.pipelines;

import dev.stratus.dsl.Evaluate;
import dev.stratus.dsl.LoadCriteo;
import dev.stratus.dsl.LogisticRegression;
import dev.stratus.dsl.Normalize;
import dev.stratus.dsl.ReadDataset;
import dev.stratus.dsl.Split;
import dev.stratus.dsl.TrainingOptions;
import dev.stratus.jobs.train.Solver;
import dev.stratus.jobs.train.StepTimes;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.generate.CriteoGenerator;
import dev.stratus.kernels.sgd.ClassifierMetrics;
import dev.stratus.runner.lambda.LambdaRunner;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Consumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * The main job, the project's front door: generate Criteo-like click logs, load them into the object store, normalize,
 * split into train, validation and test, train sparse logistic regression with asynchronous SGD against
 * parameter-server shards (printing the validation loss as it falls), and report the model on the test set beside
 * the planted model's loss. It runs on LambdaRunner unless {@code --runner=DirectRunner} says otherwise.
 *
 * <p>Each step runs as its own pipeline so its time can be told; the datasets between them live in the store.
 */
public final class CriteoJob {
  /** The job's options; every store option of {@link StoreOptions} applies too. */
  public interface Options extends StoreOptions, TrainingOptions {
    @Description("Rows to generate")
    @Default.Long(300_000)
    long getRows();

    void setRows(long rows);

    @Description("Categorical features are hashed into 2^modelBits features")
    @Default.Integer(18)
    int getModelBits();

    void setModelBits(int bits);

    @Description("Workers; 0 (the default) for the driver to choose")
    @Default.Integer(0)
    int getWorkers();

    void setWorkers(int workers);

    @Description("Parameter-server shards; 0 (the default) for the driver to choose: one to start, more where an L-BFGS"
        + " training finds them saturated")
    @Default.Integer(0)
    int getPsShards();

    void setPsShards(int shards);

    @Description("L2 penalty; unset: chosen on the validation set among liblinear's C = 0.01, 0.1, 1, 10 (l2 = 1 /"
        + " (C rows))")
    Float getL2();

    void setL2(Float penalty);

    @Description("Training time limit in seconds")
    @Default.Integer(120)
    int getTrainSeconds();

    void setTrainSeconds(int seconds);

    @Description("Each experiment's time limit in seconds in the search that ends the job (6 experiments, as many at"
        + " a time as pay); 0 skips the search")
    @Default.Integer(20)
    int getSearchSeconds();

    void setSearchSeconds(int seconds);

    @Description("Seed of the generated data")
    @Default.Long(42)
    long getSeed();

    void setSeed(long seed);
  }

  private CriteoJob() {}

  /** {@code training} with the options' L2 penalty, if they set one. */
  private static LogisticRegression penalised(LogisticRegression training, Options options) {
    return options.getL2() == null ? training : training.l2(options.getL2());
  }

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
    if (Arrays.stream(args).noneMatch(arg -> arg.startsWith("--runner"))) {
      // The product: workers as Lambda invocations (the embedded local Lambda service unless options name AWS).
      options.setRunner(LambdaRunner.class);
    }
    if (options.getSearchSeconds() < 0) {
      throw new IllegalArgumentException("--searchSeconds must be 0 (no search) or more, got "
          + options.getSearchSeconds());
    }
    if (options.getRows() < 100 || options.getRows() > 1_000_000_000L) {
      throw new IllegalArgumentException("--rows must be in [100, 1000000000], got " + options.getRows());
    }
    String root = "s3://" + options.getBucket() + "/criteo-" + options.getRows() + "-" + options.getSeed();
    StoreSpec spec = StoreOptions.spec(options);
    ObjectStore store = ObjectStore.of(spec);
    store.ensureBucket(options.getBucket());
    System.out.printf(
        "Stratus main job on %s: %,d Criteo-like rows, 2^%d features, %s, %s; store: %s%n%n",
        options.getRunner().getSimpleName(), options.getRows(), options.getModelBits(),
        options.getWorkers() == 0 ? "workers chosen by the driver" : options.getWorkers() + " worker(s)",
        TrainingOptions.endpoints(options).isEmpty()
            ? options.getPsShards() == 0 ? "PS shards chosen by the driver" : options.getPsShards() + " PS shard(s)"
            : "the PS shards at " + options.getPsEndpoints(),
        spec.describe());
    System.out.printf("%-10s %9s  %s%n", "step", "seconds", "written");

    Path generatedFile =
        Path.of(options.getDataDir(), "input", "criteo-" + options.getRows() + "-" + options.getSeed() + ".tsv");
    // The loader reads the generated file from the store: workers on Lambda cannot read this machine's files.
    S3Path input = S3Path.parse(root + "/input/" + generatedFile.getFileName());
    String raw = root + "/raw";
    // Built before any work so a bad option stops the job at once.
    LoadCriteo load = LoadCriteo.from(input.toString()).modelBits(options.getModelBits()).to(raw);
    Files.createDirectories(generatedFile.getParent());
    long start = System.nanoTime();
    CriteoGenerator.Summary generated =
        CriteoGenerator.withSeed(options.getSeed()).writeTsv(generatedFile, options.getRows());
    store.put(input, generatedFile);
    report("generate", start, input + ": " + generated);

    step(options, "load", store, raw, p -> p.apply(load));

    String normalized = root + "/normalized";
    step(options, "normalize", store, normalized, p -> p.apply(ReadDataset.from(raw)).apply(Normalize.minMax().to(normalized)));

    // Training learns from train, the monitor stops on and keeps the best model for validation, and the final figures
    // come from test, which neither saw.
    String train = root + "/train";
    String heldOut = root + "/held-out";
    String validation = root + "/validation";
    String test = root + "/test";
    step(options, "split", store, train, p -> p.apply(ReadDataset.from(normalized))
        .apply(Split.fraction(0.8).seed(7).to(train, heldOut)));
    step(options, "split", store, test, p -> p.apply(ReadDataset.from(heldOut))
        .apply(Split.fraction(0.5).seed(8).to(validation, test)));
    System.out.printf("%-10s %9s  %s%n", "", "", describe(store, validation));

    System.out.printf("%ntraining on %s (validation loss as it falls; the planted model's own loss, the floor, is"
        + " %.5f):%n", options.getRunner().getSimpleName(), generated.bayesLogloss());
    start = System.nanoTime();
    String model = root + "/model/model.bin";
    String report = root + "/model/report.txt";
    Pipeline p = Pipeline.create(options);
    PCollection<Dataset> validationSet = p.apply("Validation", ReadDataset.from(validation));
    PCollection<TrainResult> trained =
        p.apply("Train", ReadDataset.from(train))
            .apply(
                penalised(LogisticRegression.withValidationSet(validationSet), options)
                    .workers(options.getWorkers())
                    .psShards(options.getPsShards())
                    .timeout(Duration.ofSeconds(options.getTrainSeconds()))
                    .modelTo(model));
    PCollection<ClassifierMetrics> tested = p.apply("Test", ReadDataset.from(test)).apply(Evaluate.with(trained));
    PCollectionView<TrainResult> result = trained.apply(View.asSingleton());
    tested.apply(ParDo.of(new WriteReport(result, generated.bayesLogloss(), report)).withSideInputs(result));
    p.run().waitUntilFinish();
    report("train", start, model);
    System.out.println();
    System.out.print(new String(store.get(S3Path.parse(report)), StandardCharsets.UTF_8));

    if (options.getSearchSeconds() > 0) {
      System.out.printf("%nhyperparameter search on the same split: learning rate %s by minibatch size %s, as many at"
              + " a time as pay, at most %d s each:%n", Arrays.toString(SearchStep.LEARNING_RATES),
          Arrays.toString(SearchStep.MINIBATCH_SIZES), options.getSearchSeconds());
      start = System.nanoTime();
      String searchResult = SearchStep.run(options, train, validation,
          watched -> penalised(LogisticRegression.withValidationSet(watched), options).workers(options.getWorkers())
              .psShards(options.getPsShards()), options.getSearchSeconds(),
          root + "/search");
      report("search", start, searchResult);
    }
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

  /**
   * Writes the final report to the store, wherever the pipeline's last step runs (a Lambda worker on LambdaRunner),
   * so the driver prints it on its console.
   */
  static final class WriteReport extends DoFn<ClassifierMetrics, Void> {
    private final PCollectionView<TrainResult> trained;
    private final double floor;
    private final String location;

    WriteReport(PCollectionView<TrainResult> trained, double floor, String location) {
      this.trained = trained;
      this.floor = floor;
      this.location = location;
    }

    @ProcessElement
    public void process(@Element ClassifierMetrics test, ProcessContext c) {
      TrainResult r = c.sideInput(trained);
      String text =
          String.format(
              "test logloss %.5f (planted model %.5f, gap %.5f), AUC %.4f, accuracy %.4f on %,d rows training never"
                  + " saw%n"
                  + "validation logloss %.5f (the model kept: the best the monitor saw)%n",
              test.loss(), floor, test.loss() - floor, test.auc(), test.accuracy(), test.count(),
              r.validationMetrics().loss());
      if (r.solver() == Solver.LBFGS) {
        text += String.format("stopped: %s after %,d passes over the training rows by L-BFGS at %,.1f passes/s; %d"
            + " worker generations%n", r.stopReason(), r.updates(), r.updatesPerSecond(), r.workerGenerations());
      } else {
        text += String.format(
            "stopped: %s after %,d updates by SGD at %,.0f updates/s; %d worker generations; worker stall %.2f s%n"
                + "median ms per iteration: get model %.3f, get minibatch %.3f, compute gradient %.3f, send"
                + " gradient %.3f%n",
            r.stopReason(), r.updates(), r.updatesPerSecond(), r.workerGenerations(), r.stallSeconds(),
            r.stepTimes().medianMillis(StepTimes.Step.GET_MODEL),
            r.stepTimes().medianMillis(StepTimes.Step.GET_MINIBATCH),
            r.stepTimes().medianMillis(StepTimes.Step.COMPUTE_GRADIENT),
            r.stepTimes().medianMillis(StepTimes.Step.SEND_GRADIENT));
      }
      ObjectStore.of(StoreOptions.spec(c.getPipelineOptions().as(StoreOptions.class)))
          .put(S3Path.parse(location), text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
