package dev.stratus.pipelines;

import dev.stratus.dsl.Evaluate;
import dev.stratus.dsl.EvaluateRatings;
import dev.stratus.dsl.LinearSvm;
import dev.stratus.dsl.LoadCriteo;
import dev.stratus.dsl.LoadCsv;
import dev.stratus.dsl.LoadLibsvm;
import dev.stratus.dsl.LoadRatings;
import dev.stratus.dsl.LoadText;
import dev.stratus.dsl.LogisticRegression;
import dev.stratus.dsl.MatrixFactorization;
import dev.stratus.dsl.MultinomialLogisticRegression;
import dev.stratus.dsl.Normalize;
import dev.stratus.dsl.SgdTraining;
import dev.stratus.dsl.Split;
import dev.stratus.dsl.TrainingOptions;
import dev.stratus.dsl.WriteMetrics;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.ScalingMethod;
import dev.stratus.kernels.sgd.ClassifierMetrics;
import dev.stratus.kernels.sgd.ModelMetrics;
import dev.stratus.kernels.sgd.RegressionMetrics;
import dev.stratus.jobs.train.Solver;
import dev.stratus.ps.Optimizer;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.values.PCollection;

/**
 * Trains a model on the user's own data: load text files (LIBSVM, CSV with a label column, Criteo TSV, or
 * user,item,rating lines), split the rows three ways, normalize with the training set's statistics (not ratings),
 * train while watching the loss on the validation set, and evaluate the model on the test set, which training never
 * saw. The datasets, the model and the
 * test metrics go under {@code --output}; the metrics are printed at the end. {@code --help} lists every option.
 */
public final class TrainJob {
  /** The job's options; the store's ({@link StoreOptions}) and the runner's apply too. */
  public interface Options extends StoreOptions, TrainingOptions {
    @Description("Input text: a file, a directory, a glob such as data/part-*, or an s3:// object or prefix (required)")
    String getInput();

    void setInput(String input);

    @Description("Input format: libsvm (label index:value ...), csv (a header row, see --csvLabel), criteo (TSV), or"
        + " ratings (user,item,rating lines for --model=factorization, see --users and --items)")
    @Default.String("libsvm")
    String getFormat();

    void setFormat(String format);

    @Description("The model: logistic (logistic regression), svm (a linear SVM, squared hinge loss), multinomial"
        + " (multinomial logistic regression over --classes classes) or factorization (matrix factorization of"
        + " --format=ratings, --rank factors a user and an item)")
    @Default.String("logistic")
    String getModel();

    void setModel(String model);

    @Description("multinomial: the number of classes K; the labels (LIBSVM, CSV) must be whole numbers 0 to K - 1")
    @Default.Integer(0)
    int getClasses();

    void setClasses(int classes);

    @Description("factorization: the number of factors of each user and item")
    @Default.Integer(10)
    int getRank();

    void setRank(int rank);

    @Description("ratings: the number of users; user ids are 0 to users - 1 (required with --format=ratings)")
    @Default.Integer(0)
    int getUsers();

    void setUsers(int users);

    @Description("ratings: the number of items; item ids are 0 to items - 1 (required with --format=ratings)")
    @Default.Integer(0)
    int getItems();

    void setItems(int items);

    @Description("LIBSVM: the number of features (indices 1..n); 0 takes the largest index found")
    @Default.Long(0)
    long getFeatures();

    void setFeatures(long features);

    @Description("CSV: the label column")
    @Default.String("label")
    String getCsvLabel();

    void setCsvLabel(String column);

    @Description("CSV: comma-separated columns whose values are categories, hashed into the feature space")
    @Default.String("")
    String getCsvCategorical();

    void setCsvCategorical(String columns);

    @Description("CSV and Criteo: categorical values are hashed into 2^modelBits features")
    @Default.Integer(20)
    int getModelBits();

    void setModelBits(int bits);

    @Description("Feature scaling: minmax (divide by the largest magnitude, the default), standard (by the standard"
        + " deviation), none; ratings are not scaled")
    String getNormalize();

    void setNormalize(String method);

    @Description("Share of the rows to train on, in (0, 1)")
    @Default.Double(0.8)
    double getTrainFraction();

    void setTrainFraction(double fraction);

    @Description("Share of the rows training watches to stop, in (0, 1); the rest, 1 - train - validation, is the test"
        + " set the final metrics come from")
    @Default.Double(0.1)
    double getValidationFraction();

    void setValidationFraction(double fraction);

    @Description("Seed of the split: another seed, another split of the same rows")
    @Default.Long(7)
    long getSplitSeed();

    void setSplitSeed(long seed);

    @Description("Workers; 0 (the default) for the driver to choose")
    @Default.Integer(0)
    int getWorkers();

    void setWorkers(int workers);

    @Description("Parameter-server shards; 0 (the default) for the driver to choose: one to start, more where an L-BFGS"
        + " training finds them saturated")
    @Default.Integer(0)
    int getPsShards();

    void setPsShards(int shards);

    @Description("Solver: auto (L-BFGS for a linear model whose training set fits the workers'"
        + " memory, else SGD; SGD as soon as --optimizer, --learningRate, --minibatchSize or --epochs is given), sgd"
        + " or lbfgs")
    @Default.String("auto")
    String getSolver();

    void setSolver(String solver);

    @Description("SGD's optimizer: sgd, adagrad or momentum; unset: adagrad")
    String getOptimizer();

    void setOptimizer(String optimizer);

    @Description("SGD's learning rate; unset: 0.1")
    Float getLearningRate();

    void setLearningRate(Float rate);

    @Description("SGD's rows per minibatch; unset: 20, for a factorization 100")
    Integer getMinibatchSize();

    void setMinibatchSize(Integer rows);

    @Description("L2 penalty; unset: chosen on the validation set among liblinear's C from 0.01 to 10 (l2 = 1 /"
        + " (C rows)), for a factorization 0.0004 a push")
    Float getL2();

    void setL2(Float penalty);

    @Description("Stop training with the best model so far once its workers cost this many dollars at AWS Lambda's"
        + " prices (GB-seconds and invocations); unset: no cap")
    Double getMaxCostDollars();

    void setMaxCostDollars(Double dollars);

    @Description("SGD's passes over the training set; unset or 0 trains until the validation loss stops improving or"
        + " the time limit")
    Integer getEpochs();

    void setEpochs(Integer passes);

    @Description("Training time limit in seconds")
    @Default.Integer(600)
    int getTrainSeconds();

    void setTrainSeconds(int seconds);

    @Description("Each experiment's time limit in seconds in a hyperparameter search after the training, on the same"
        + " split (6 experiments: 3 learning rates by 2 minibatch sizes, as many at a time as pay); 0, the default, runs none")
    @Default.Integer(0)
    int getSearchSeconds();

    void setSearchSeconds(int seconds);

    @Description("Where the datasets, the model (model.bin) and the test metrics (metrics.json) go, an s3:// prefix;"
        + " empty: s3://<--bucket>/train-job/<input name>")
    @Default.String("")
    String getOutput();

    void setOutput(String output);
  }

  /**
   * What a run leaves: where its output is, the test metrics, and where the search's result is (null without one).
   */
  public record Result(
      String output, String model, String metricsLocation, ModelMetrics testMetrics, String searchResult) {}

  private TrainJob() {}

  public static void main(String[] args) {
    if (Arrays.asList(args).contains("--help")) {
      PipelineOptionsFactory.printHelp(System.out, Options.class);
      return;
    }
    try {
      Result result = run(args);
      if (result.testMetrics() instanceof RegressionMetrics test) {
        System.out.printf(Locale.ROOT, "test set: %,d ratings, RMSE %.4f, MAE %.4f%n", test.count(), test.rmse(),
            test.mae());
      } else {
        ClassifierMetrics test = (ClassifierMetrics) result.testMetrics();
        System.out.printf(Locale.ROOT, "test set: %,d rows, loss %.5f, %s, accuracy %.4f%n", test.count(),
            test.loss(), Double.isNaN(test.auc()) ? "no AUC" : String.format("AUC %.4f", test.auc()),
            test.accuracy());
      }
      System.out.printf("model: %s%nmetrics: %s%n", result.model(), result.metricsLocation());
      if (result.searchResult() != null) {
        System.out.println("search result: " + result.searchResult());
      }
      // The embedded store's server threads would keep the JVM alive; its shutdown hook stops it.
      System.exit(0);
    } catch (Exception e) {
      Throwable cause = e; // one clear line: the pipeline's own failure is the innermost cause
      while (cause.getCause() != null && cause.getCause() != cause) {
        cause = cause.getCause();
      }
      System.err.println("error: " + (cause.getMessage() != null ? cause.getMessage() : cause.toString()));
      System.err.println("(--help lists the options)");
      System.exit(1);
    }
  }

  /**
   * Runs the job with these arguments. A bad option is refused before any work, naming the option: the job's own here,
   * the training options by the model's builder while the pipeline is put together.
   */
  public static Result run(String... args) {
    PipelineOptionsFactory.register(Options.class);
    Options options = PipelineOptionsFactory.fromArgs(args).withValidation().as(Options.class);
    Model model = Model.of(options);
    LoadText<?> load = loader(options, model);
    ScalingMethod scaling = scaling(options.getNormalize(), model);
    double train = options.getTrainFraction();
    double validation = options.getValidationFraction();
    if (!(train > 0 && train < 1)) {
      throw new IllegalArgumentException("--trainFraction must be in (0, 1), got " + train);
    }
    if (!(validation > 0 && validation < 1)) {
      throw new IllegalArgumentException("--validationFraction must be in (0, 1), got " + validation);
    }
    if (!(train + validation < 1)) {
      throw new IllegalArgumentException("--trainFraction + --validationFraction must be below 1 (the rest is the test"
          + " set), got " + train + " + " + validation + " = " + (train + validation));
    }
    if (options.getSearchSeconds() < 0) {
      throw new IllegalArgumentException("--searchSeconds must be 0 (no search) or more, got "
          + options.getSearchSeconds());
    }
    if (options.getTrainSeconds() < 1) {
      throw new IllegalArgumentException("--trainSeconds must be at least 1, got " + options.getTrainSeconds());
    }
    String output = output(options);
    String modelPath = output + "/model.bin";
    String metricsLocation = output + "/metrics.json";

    Pipeline p = Pipeline.create(options);
    Split.Result first = p.apply("Load", load.to(output + "/raw"))
        .apply("SplitTrain", Split.fraction(train).seed(options.getSplitSeed())
            .to(output + "/raw-train", output + "/raw-rest"));
    // The rest divides into validation and test; another seed, or every row would fall on the same side again.
    Split.Result second = first.test()
        .apply("SplitValidation", Split.fraction(validation / (1 - train)).seed(options.getSplitSeed() + 1)
            .to(output + "/raw-validation", output + "/raw-test"));
    PCollection<Dataset> trainSet = first.train();
    PCollection<Dataset> validationSet = second.train();
    PCollection<Dataset> testSet = second.test();
    if (scaling != null) {
      trainSet = trainSet.apply("NormalizeTrain", Normalize.of(scaling).to(output + "/train"));
      // validation and test are scaled with the training set's statistics, as new data would be
      validationSet = validationSet.apply("NormalizeValidation",
          Normalize.of(scaling).withStatisticsOf(trainSet).to(output + "/validation"));
      testSet = testSet.apply("NormalizeTest", Normalize.of(scaling).withStatisticsOf(trainSet).to(output + "/test"));
    }
    PCollection<TrainResult> trained =
        trainSet.apply("Train", model.training(validationSet, options).modelTo(modelPath));
    if (model.isFactorization()) {
      testSet.apply("Evaluate", EvaluateRatings.with(trained))
          .apply("WriteMetrics", WriteMetrics.to(metricsLocation));
    } else {
      testSet.apply("Evaluate", Evaluate.with(trained)).apply("WriteMetrics", WriteMetrics.to(metricsLocation));
    }
    ObjectStore store = ObjectStore.of(StoreOptions.spec(options));
    store.ensureBucket(S3Path.parse(output).bucket());
    p.run().waitUntilFinish();

    ModelMetrics metrics = WriteMetrics.read(store, metricsLocation, ModelMetrics.class);
    String searchResult = null;
    if (options.getSearchSeconds() > 0) {
      String prefix = scaling != null ? output + "/" : output + "/raw-";
      searchResult = SearchStep.run(options, prefix + "train", prefix + "validation",
          watched -> model.training(watched, options), options.getSearchSeconds(), output + "/search");
    }
    return new Result(output, modelPath, metricsLocation, metrics, searchResult);
  }

  /** The model {@code --model} names, with {@code --classes} for K classes. */
  private record Model(String name, int classes, int rank) {
    static Model of(Options options) {
      String name = options.getModel() == null ? "" : options.getModel().trim().toLowerCase(Locale.ROOT);
      if (!List.of("logistic", "svm", "multinomial", "factorization").contains(name)) {
        throw new IllegalArgumentException("--model: '" + options.getModel() + "' is not a model; use logistic, svm,"
            + " multinomial or factorization");
      }
      String format = options.getFormat() == null ? "" : options.getFormat().trim().toLowerCase(Locale.ROOT);
      if (name.equals("factorization") != format.equals("ratings")) {
        throw new IllegalArgumentException(name.equals("factorization")
            ? "--model=factorization trains on ratings: use --format=ratings (user,item,rating lines)"
            : "--format=ratings is for --model=factorization, not --model=" + name);
      }
      int classes = options.getClasses();
      if (name.equals("multinomial") && classes < 2) {
        throw new IllegalArgumentException(
            "--model=multinomial needs --classes=K, the number of classes (2 or more), got " + classes);
      }
      if (!name.equals("multinomial") && classes != 0) {
        throw new IllegalArgumentException("--classes is for --model=multinomial; --model=" + name + " has 2 classes");
      }
      return new Model(name, classes, options.getRank());
    }

    boolean isFactorization() {
      return name.equals("factorization");
    }

    /** The training of this model, on {@code validationSet}, with the options' settings. */
    SgdTraining<?> training(PCollection<Dataset> validationSet, Options options) {
      return switch (name) {
        case "svm" -> configured(LinearSvm.withValidationSet(validationSet), options);
        case "multinomial" -> configured(MultinomialLogisticRegression.withValidationSet(validationSet)
            .classes(classes), options);
        case "factorization" -> configured(MatrixFactorization.withValidationSet(validationSet), options).rank(rank);
        default -> configured(LogisticRegression.withValidationSet(validationSet), options);
      };
    }
  }

  private static LoadText<?> loader(Options options, Model model) {
    String input = options.getInput();
    if (input == null || input.isBlank()) {
      throw new IllegalArgumentException(
          "--input is required: a file, a directory, a glob such as data/part-*, or an s3:// object or prefix");
    }
    if (!S3Path.isS3(input)) {
      input = Path.of(input).toAbsolutePath().toString(); // workers may run elsewhere than the working directory
    }
    String format = options.getFormat() == null ? "" : options.getFormat().trim().toLowerCase(Locale.ROOT);
    switch (format) {
      case "libsvm":
        LoadLibsvm libsvm = LoadLibsvm.from(input);
        if (model.classes() > 0) {
          libsvm.classes(model.classes());
        }
        return options.getFeatures() == 0 ? libsvm : libsvm.features(options.getFeatures());
      case "csv":
        LoadCsv csv = LoadCsv.from(input).label(options.getCsvLabel()).modelBits(options.getModelBits());
        if (model.classes() > 0) {
          csv.classes(model.classes());
        }
        String categorical = options.getCsvCategorical();
        if (categorical != null && !categorical.isBlank()) {
          csv.categorical(Arrays.stream(categorical.split(",")).map(String::trim).toArray(String[]::new));
        }
        return csv;
      case "ratings":
        if (options.getUsers() < 1 || options.getItems() < 1) {
          throw new IllegalArgumentException("--format=ratings needs --users and --items, the number of each (ids 0"
              + " to count - 1), got --users=" + options.getUsers() + " --items=" + options.getItems());
        }
        return LoadRatings.from(input).users(options.getUsers()).items(options.getItems());
      case "criteo":
        if (model.classes() > 0) {
          throw new IllegalArgumentException("--format=criteo has two classes (clicked or not): use --model=logistic"
              + " or svm");
        }
        return LoadCriteo.from(input).modelBits(options.getModelBits());
      default:
        throw new IllegalArgumentException(
            "--format: '" + options.getFormat() + "' is not a format; use libsvm, csv, criteo or ratings");
    }
  }

  /** The scaling {@code --normalize} names; none for ratings, whose features are a user's and an item's ids. */
  private static ScalingMethod scaling(String method, Model model) {
    if (model.isFactorization()) {
      if (method != null && !method.trim().equalsIgnoreCase("none")) {
        throw new IllegalArgumentException("--normalize=" + method + ": ratings are not scaled (their features are"
            + " a user's and an item's ids); leave --normalize out");
      }
      return null;
    }
    switch (method == null ? "minmax" : method.trim().toLowerCase(Locale.ROOT)) {
      case "minmax":
        return ScalingMethod.MIN_MAX_SCALING;
      case "standard":
        return ScalingMethod.STANDARD;
      case "none":
        return null;
      default:
        throw new IllegalArgumentException("--normalize: '" + method + "' is not a scaling; use minmax, standard or none");
    }
  }

  /** {@code training} with the options' settings. */
  private static <T extends SgdTraining<T>> T configured(T training, Options options) {
    training
        .workers(options.getWorkers())
        .psShards(options.getPsShards())
        .solver(named(Solver.class, "--solver", options.getSolver(), "auto, sgd or lbfgs"))
        .timeout(Duration.ofSeconds(options.getTrainSeconds()));
    if (options.getOptimizer() != null) {
      training.optimizer(named(Optimizer.class, "--optimizer", options.getOptimizer(), "sgd, adagrad or momentum"));
    }
    if (options.getLearningRate() != null) {
      training.learningRate(options.getLearningRate());
    }
    if (options.getMinibatchSize() != null) {
      training.minibatchSize(options.getMinibatchSize());
    }
    if (options.getEpochs() != null) {
      training.epochs(options.getEpochs());
    }
    if (options.getMaxCostDollars() != null) {
      training.maxCost(options.getMaxCostDollars());
    }
    return options.getL2() == null ? training : training.l2(options.getL2());
  }

  /** The constant of {@code type} named {@code value} (any case), or an error naming {@code option} and the choices. */
  private static <E extends Enum<E>> E named(Class<E> type, String option, String value, String choices) {
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException(option + ": '" + value + "' is not one of " + choices);
    }
  }

  private static String output(Options options) {
    String output = options.getOutput();
    if (output == null || output.isBlank()) {
      String input = options.getInput().replaceAll("/+$", "");
      String name = input.substring(input.lastIndexOf('/') + 1).replaceAll("[^A-Za-z0-9._-]", "-");
      output = "s3://" + options.getBucket() + "/train-job/" + name;
    }
    output = output.replaceAll("/+$", "");
    S3Path path = S3Path.parse(output);
    if (path.key().isEmpty()) {
      throw new IllegalArgumentException("--output: a prefix inside a bucket, such as s3://" + path.bucket()
          + "/runs/1; got '" + output + "'");
    }
    StoreOptions.checkBucket(path.bucket(), "--output");
    return output;
  }
}
