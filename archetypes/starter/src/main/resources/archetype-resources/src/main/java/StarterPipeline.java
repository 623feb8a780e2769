package ${package};

import dev.stratus.dsl.Evaluate;
import dev.stratus.dsl.LoadLibsvm;
import dev.stratus.dsl.LogisticRegression;
import dev.stratus.dsl.Split;
import dev.stratus.dsl.WriteMetrics;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.kernels.sgd.ClassifierMetrics;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Random;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.values.PCollection;

/**
 * A Stratus pipeline: load a LIBSVM file into the object store, split it, train logistic regression, evaluate the
 * model on the held-out rows. Without --input it first writes a small LIBSVM file whose labels come from a known
 * logistic model. Runs on the DirectRunner (the default) or with --runner=LambdaRunner.
 */
public final class StarterPipeline {
  public interface Options extends StoreOptions {
    @Description("A LIBSVM file (label index:value ...), local or s3://; empty: generate one under --dataDir")
    @Default.String("")
    String getInput();

    void setInput(String input);

    @Description("Rows of the generated file")
    @Default.Integer(20000)
    int getRows();

    void setRows(int rows);

    @Description("Share of the rows to train on; the rest is the test set")
    @Default.Double(0.8)
    double getTrainFraction();

    void setTrainFraction(double fraction);

    @Description("SGD workers")
    @Default.Integer(2)
    int getWorkers();

    void setWorkers(int workers);

    @Description("Passes over the training set")
    @Default.Integer(3)
    int getEpochs();

    void setEpochs(int epochs);

    @Description("Where the datasets, the model and the metrics go")
    @Default.String("s3://stratus/starter")
    String getOutput();

    void setOutput(String output);
  }

  private StarterPipeline() {}

  public static void main(String[] args) {
    if (java.util.Arrays.asList(args).contains("--help")) {
      PipelineOptionsFactory.printHelp(System.out, Options.class);
      return;
    }
    ClassifierMetrics m = run(args);
    System.out.printf(Locale.ROOT, "test metrics: rows=%d logloss=%.5f auc=%.4f accuracy=%.4f%n",
        m.count(), m.loss(), m.auc(), m.accuracy());
    System.exit(0); // the embedded store's server threads would keep the JVM alive
  }

  /** Runs the pipeline and returns the metrics of the model on the test set. */
  public static ClassifierMetrics run(String... args) {
    PipelineOptionsFactory.register(Options.class);
    Options options = PipelineOptionsFactory.fromArgs(args).withValidation().as(Options.class);
    String input = options.getInput().isEmpty()
        ? generate(Path.of(options.getDataDir(), "starter-input.svm"), options.getRows())
        : options.getInput(); // a local file, or s3://... where workers elsewhere (on AWS Lambda) can read it
    String output = options.getOutput();

    Pipeline p = Pipeline.create(options);
    Split.Result split = p
        .apply("Load", LoadLibsvm.from(input).to(output + "/data"))
        .apply("Split", Split.fraction(options.getTrainFraction()).seed(1).to(output + "/train", output + "/held-out"));
    // The held-out rows, halved: training stops on and keeps the best model for the validation half; the metrics
    // come from the test half, which training never saw.
    Split.Result heldOut = split.test()
        .apply("SplitHeldOut", Split.fraction(0.5).seed(2).to(output + "/validation", output + "/test"));
    PCollection<TrainResult> model = split.train().apply("Train",
        LogisticRegression.withValidationSet(heldOut.train())
            .workers(options.getWorkers())
            .epochs(options.getEpochs())
            .timeout(Duration.ofMinutes(5))
            .modelTo(output + "/model.bin"));
    heldOut.test()
        .apply("Evaluate", Evaluate.with(model))
        .apply("WriteMetrics", WriteMetrics.to(output + "/metrics.json"));

    ObjectStore store = ObjectStore.of(StoreOptions.spec(options));
    store.ensureBucket(S3Path.parse(output).bucket());
    p.run().waitUntilFinish();
    return WriteMetrics.read(store, output + "/metrics.json", ClassifierMetrics.class);
  }

  /** Writes {@code rows} rows of 30 features whose labels are drawn from a fixed logistic model; returns the path. */
  static String generate(Path file, int rows) {
    Random random = new Random(42);
    double[] weights = new double[31];
    for (int j = 1; j <= 30; j++) {
      weights[j] = random.nextGaussian();
    }
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      try (Writer out = Files.newBufferedWriter(file)) {
        for (int i = 0; i < rows; i++) {
          StringBuilder features = new StringBuilder();
          double margin = 0;
          for (int j = 1; j <= 30; j++) {
            if (random.nextInt(3) == 0) {
              double value = random.nextDouble();
              margin += 3 * weights[j] * value;
              features.append(String.format(Locale.ROOT, " %d:%.4f", j, value));
            }
          }
          boolean positive = random.nextDouble() < 1 / (1 + Math.exp(-margin));
          out.write((positive ? "1" : "0") + features + "\n");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the generated input " + file, e);
    }
    return file.toAbsolutePath().toString();
  }
}
