package dev.stratus.benchmarks.training;

import dev.stratus.benchmarks.Machine;
import dev.stratus.benchmarks.paper.PythonPeers;
import dev.stratus.benchmarks.paper.PythonPeers.Peer;
import dev.stratus.benchmarks.paper.Report;
import dev.stratus.dsl.LinearSvm;
import dev.stratus.dsl.LogisticRegression;
import dev.stratus.dsl.MatrixFactorization;
import dev.stratus.dsl.MultinomialLogisticRegression;
import dev.stratus.dsl.SgdTraining;
import dev.stratus.jobs.train.CurvePoint;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.jobs.train.PenaltyPath;
import dev.stratus.jobs.train.Solver;
import dev.stratus.jobs.train.TrainingSpec;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.generate.BagOfWordsGenerator;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.kernels.generate.PlantedRatings;
import dev.stratus.kernels.reference.Liblinear;
import dev.stratus.kernels.reference.ScikitLearn;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearModel;
import dev.stratus.kernels.sgd.TrainedModel;
import dev.stratus.lambda.local.LocalLambdaService;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.values.PCollection;

/**
 * Issue 23's bar for every linear model we train: LogisticRegression, LinearSvm on the squared hinge (its default) and
 * on the hinge, and MultinomialLogisticRegression, each on two data sets, held to an exact solver's optimum on the
 * same three-way split (liblinear-train -s 0, -s 1, -s 3; scikit-learn's multinomial lbfgs; each at the best C of a
 * grid, by test loss) and raced against the Python peers of its loss (scikit-learn's SGDClassifier, xgboost's gblinear
 * for the logistic models). Ours run with their defaults on LambdaRunner with the local Lambda service and two
 * workers, only the timeout set; the monitor watches the validation rows, every loss reported is on the test rows.
 * Per model and data set: the kept model's test loss over the optimum, the time until the test curve was within 1% of
 * it, updates/s, and the two goals (within 2% of the optimum; within 1% sooner than every SGD peer). Writes
 * results/models.md and models.csv. {@code --rows} is the Criteo rows; bag-of-words has a fifth as many documents,
 * the planted classes a quarter as many rows; digits are digits.
 *
 * <p>LogisticRegression with an L1 penalty ({@code --only logistic-l1}) is held to liblinear-train -s 6 on the same two
 * data sets, trained at the solver's best C (an L1 penalty has no default), with the non-zero weights of both models;
 * the Python peers, which train an L2 penalty, are not run beside it.
 *
 * <p>MatrixFactorization ({@code --only factorization}) is held the same way to biased ALS
 * ({@link ScikitLearn#alsBestOf}, the best lambda of a grid) on planted ratings of two sizes, fixed whatever
 * {@code --rows}; its loss columns are test RMSE (its curve's mean squared error is compared as the square of 1.01
 * times ALS's RMSE), the planted model's own RMSE (its noise) is shown as the floor, and it has no SGD peer
 * (scikit-learn has no matrix factorization).
 *
 * <pre>mvn -q -pl benchmarks exec:java@models [-Dexec.args="--rows 200000 --seconds 30
 *     --only logistic,logistic-l1,svm,svm-hinge,multinomial,factorization"]</pre>
 */
public final class ModelsBenchmark {
  /** Two Lambda workers, one a core of this machine. */
  private static final int WORKERS = 2;
  /** The goal: the kept model's test loss within 2% of the optimum. */
  private static final double GOAL = 1.02;
  /** The band the time is measured to, as in the peers benchmark. */
  private static final double BAND = 1.01;
  /** Bag-of-words documents: shorter rows than the long-rows benchmark's, so liblinear and Python load them quickly. */
  private static final int VOCABULARY = 1 << 18;
  private static final int TOKENS_PER_DOCUMENT = 100;
  private static final double ZIPF_EXPONENT = 1.1;
  private static final int PLANTED_FEATURES = 2_000;
  private static final int PLANTED_CLASSES = 10;
  private static final int DIGIT_CLASSES = 10;
  /**
   * The other training benchmarks' grid (LambdaTraining.LIBLINEAR_C) reaching lower: both SVMs' best C of the Criteo
   * rows is its lowest, 0.03, where the optimum would be understated.
   */
  private static final double[] CRITEO_C = {0.003, 0.01, 0.03, 0.1, 0.3, 1};
  /** A grid by half decades, wide because the best C of these rows is not known beforehand. */
  private static final double[] WIDE_C = {0.1, 0.3, 1, 3, 10, 30, 100};
  /** The multinomial test's grid (MultinomialLogisticRegressionTest). */
  private static final double[] MULTINOMIAL_C = {0.1, 1, 10};
  private static final String SGD_PEER = "scikit-learn SGDClassifier";
  /** The peers table's and the CSV's line of planted ratings' floor. */
  private static final String FLOOR = "the planted model (its noise: the floor)";
  /** Planted ratings' noise: the planted model's test RMSE, the floor. */
  private static final double RATING_NOISE = 0.5;
  /**
   * ALS's lambda (weighted-lambda regularisation): MatrixFactorizationTest's grid, with 0.02 (where the smaller data
   * set's best lies) and 0.3. Lower lambdas are left out: at 0.003 the sparser set's ALS may not converge.
   */
  private static final double[] ALS_LAMBDA = {0.01, 0.02, 0.03, 0.1, 0.3};

  private ModelsBenchmark() {}

  /** A model as a user trains it: which class, which loss, its exact solver and its Python peers' option. */
  private enum Model {
    LOGISTIC("logistic", "LogisticRegression", LinearLoss.LOGISTIC, "liblinear-train -s 0"),
    /** Trained at the solver's best C, which it has no default for: the goal is the solver's loss and sparsity. */
    LOGISTIC_L1("logistic-l1", "LogisticRegression.l1", LinearLoss.LOGISTIC, "liblinear-train -s 6"),
    SVM("svm", "LinearSvm (squared hinge)", LinearLoss.SQUARED_HINGE, "liblinear-train -s 1"),
    SVM_HINGE("svm-hinge", "LinearSvm (hinge)", LinearLoss.HINGE, "liblinear-train -s 3"),
    MULTINOMIAL("multinomial", "MultinomialLogisticRegression", LinearLoss.MULTINOMIAL,
        "scikit-learn multinomial lbfgs"),
    /** No linear loss: its loss columns are test RMSE. */
    FACTORIZATION("factorization", "MatrixFactorization", null, "biased ALS in numpy");

    final String option;
    final String title;
    final LinearLoss loss;
    final String solver;

    Model(String option, String title, LinearLoss loss, String solver) {
      this.option = option;
      this.title = title;
      this.loss = loss;
      this.solver = solver;
    }

    static Model of(String option) {
      return Arrays.stream(values()).filter(m -> m.option.equals(option)).findFirst().orElseThrow(
          () -> new IllegalArgumentException("--only takes " + Arrays.stream(values()).map(m -> m.option)
              .collect(Collectors.joining(", ")) + ", comma-separated; got " + option));
    }

    /**
     * The training with its defaults, watching {@code validation}; an L1 model's penalty at {@code optimum}'s C
     * ({@code l1 = 1 / (C n)}).
     */
    SgdTraining<?> training(PCollection<Dataset> validation, DataSet data, Optimum optimum) {
      return switch (this) {
        case LOGISTIC -> LogisticRegression.withValidationSet(validation);
        case LOGISTIC_L1 -> LogisticRegression.withValidationSet(validation)
            .l1((float) (1 / (optimum.c * data.train.size())));
        case SVM -> LinearSvm.withValidationSet(validation);
        case SVM_HINGE -> LinearSvm.withValidationSet(validation).loss(LinearLoss.HINGE);
        case MULTINOMIAL -> MultinomialLogisticRegression.withValidationSet(validation).classes(data.classes);
        case FACTORIZATION -> MatrixFactorization.withValidationSet(validation).rank(data.ratings.rank);
      };
    }

    /** What the loss columns hold for this model. */
    String lossName() {
      return loss == null ? "RMSE" : loss.displayName();
    }

    /** The solver's penalty: liblinear's and scikit-learn's C, ALS's lambda. */
    String penalty() {
      return loss == null ? "lambda" : "C";
    }

    Optimum solve(DataSet data, double... cGrid) throws IOException {
      if (loss == null) {
        PlantedRatings r = data.ratings;
        ScikitLearn.AlsOptimum best = ScikitLearn.alsBestOf(r.users, r.items, r.rank, data.train, data.test, cGrid);
        return new Optimum(best.lambda(), best.testRmse(), best.trainSeconds(), -1);
      }
      if (loss == LinearLoss.MULTINOMIAL) {
        ScikitLearn.Optimum best = ScikitLearn.multinomialBestOf(data.classes, data.train, data.test, cGrid);
        return new Optimum(best.c(), best.testLoss(), best.trainSeconds(), -1);
      }
      Liblinear.Optimum best = this == LOGISTIC_L1
          ? Liblinear.l1LogisticBestOf(data.train, data.test, cGrid)
          : Liblinear.bestOf(loss, data.train, data.test, cGrid);
      return new Optimum(best.c(), best.test().loss(), best.trainSeconds(), nonZeros(best.model().weights()));
    }

    /** peers.py's options for this model's peers. */
    List<String> peerOptions(int classes) {
      String peersOf = switch (loss) {
        case LOGISTIC -> "logistic";
        case SQUARED_HINGE -> "squared_hinge";
        case HINGE -> "hinge";
        case MULTINOMIAL -> "multinomial";
      };
      return List.of("--model", peersOf, "--classes", String.valueOf(classes));
    }
  }

  /**
   * The solver's best C of the grid, its test loss, the seconds its fit at that C took, and its model's non-zero
   * weights (-1 when not counted: a multinomial model, a factorization).
   */
  private record Optimum(double c, double testLoss, double seconds, int nonZeros) {}

  private static int nonZeros(float[] weights) {
    int count = 0;
    for (float w : weights) {
      count += w != 0 ? 1 : 0;
    }
    return count;
  }

  /**
   * A split in the benchmarks' store, its training and test rows also in memory for the solver and the peers; for
   * planted ratings, their generator ({@code ratings}, null otherwise).
   */
  private record DataSet(String name, String key, BenchmarkData split, List<SparseRow> train, List<SparseRow> test,
      int classes, int features, double[] cGrid, PlantedRatings ratings) {
    String describe() {
      if (ratings != null) {
        return String.format(Locale.ROOT,
            "%s: %,d users, %,d items, rank %d, %,d training, %,d validation, %,d test ratings, noise %s (the planted"
                + " model's RMSE, the floor), ALS's lambda of %s", name, ratings.users, ratings.items, ratings.rank,
            train.size(), split.validation.rowCount(), test.size(), ratings.noise, Arrays.toString(cGrid));
      }
      double nonZeros = train.stream().mapToInt(SparseRow::size).average().orElse(0);
      return String.format(Locale.ROOT,
          "%s: %,d training, %,d validation, %,d test rows, %,d features (%.0f non-zeros a row)%s, the solver's C"
              + " of %s", name, train.size(), split.validation.rowCount(), test.size(), features, nonZeros,
          classes > 2 ? ", " + classes + " classes" : "", Arrays.toString(cGrid));
    }
  }

  /** What one model on one data set measured. */
  private record Measured(Model model, DataSet data, Optimum optimum, Optimum atOurPenalty, TrainResult ours,
      double oursTestLoss, int oursNonZeros, Map<String, Peer> peers) {
    /**
     * 1% above the optimum, in the test curve's unit: the loss, or for a factorization the mean squared error, so
     * the square of 1.01 times ALS's RMSE.
     */
    double target() {
      double band = optimum.testLoss * BAND;
      return model.loss == null ? band * band : band;
    }

    double oursTimeToBand() {
      return LambdaTraining.timeToTarget(ours, target());
    }

    double oursSeconds() {
      List<CurvePoint> curve = ours.curve();
      return curve.isEmpty() ? Double.NaN : curve.get(curve.size() - 1).seconds();
    }

    boolean withinGoal() {
      return oursTestLoss <= optimum.testLoss * GOAL;
    }

    /** Whether ours reached the band sooner than every SGD peer: "met", "not met", or why it cannot be said. */
    String fasterThanSgdPeers() {
      List<Peer> sgd = peers.entrySet().stream()
          .filter(e -> e.getKey().startsWith(SGD_PEER) && e.getValue().installed()).map(Map.Entry::getValue).toList();
      if (sgd.isEmpty()) {
        return peers.isEmpty() ? "no SGD peer" : "no SGD peer installed";
      }
      double ourTime = oursTimeToBand();
      boolean faster = !Double.isNaN(ourTime)
          && sgd.stream().allMatch(p -> Double.isNaN(p.timeTo(target())) || ourTime < p.timeTo(target()));
      return faster ? "met" : "not met";
    }
  }

  public static void main(String[] args) throws Exception {
    long rows = 200_000;
    int seconds = 30;
    Set<Model> models = EnumSet.allOf(Model.class);
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Long.parseLong(args[i + 1]);
        case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
        case "--only" -> models = Arrays.stream(args[i + 1].split(",")).map(Model::of)
            .collect(Collectors.toCollection(() -> EnumSet.noneOf(Model.class)));
        default -> throw new IllegalArgumentException(
            "unknown argument " + args[i] + " (--rows N, --seconds S, --only MODEL,...)");
      }
    }
    double loadAtStart = Machine.loadAverage();
    List<Model> binary = models.stream().filter(m -> m.loss != null && !m.loss.multiclass()).toList();
    List<Measured> measured = new ArrayList<>();
    List<String> described = new ArrayList<>();
    try (LocalLambdaService lambda = LocalLambdaService.start()) {
      LambdaTraining.registerWorkerFunction(lambda);
      if (!binary.isEmpty()) {
        for (DataSet data : List.of(criteo(rows), bagOfWords((int) (rows / 5)))) {
          described.add(data.describe());
          for (Model model : binary) {
            measured.add(measure(lambda, data, model, seconds));
          }
        }
      }
      if (models.contains(Model.MULTINOMIAL)) {
        for (DataSet data : List.of(plantedClasses((int) (rows / 4)), digits())) {
          described.add(data.describe());
          measured.add(measure(lambda, data, Model.MULTINOMIAL, seconds));
        }
      }
      if (models.contains(Model.FACTORIZATION)) {
        for (DataSet data : List.of(plantedRatings(2_000, 1_000, 8, 150_000),
            plantedRatings(10_000, 2_000, 12, 400_000))) {
          described.add(data.describe());
          measured.add(measure(lambda, data, Model.FACTORIZATION, seconds));
        }
      }
    }
    measured.sort(Comparator.comparing(Measured::model));

    String setting = String.format(Locale.ROOT,
        "ours with their defaults (%s) on LambdaRunner, %d Lambda workers (the local Lambda service), timeout %d s;"
            + " the Python peers %d s each; %d cores, load average %.1f at the start. Data sets (training rows, the"
            + " validation rows our monitor watches, the test rows every loss is reported on): %s",
        defaults(models.contains(Model.FACTORIZATION)), WORKERS, seconds, seconds,
        Runtime.getRuntime().availableProcessors(), loadAtStart,
        String.join("; ", described));
    Path out = BenchmarkData.home().resolve("results");
    Files.createDirectories(out);
    writeCsv(out.resolve("models.csv"), measured);
    Report.publish(out.resolve("models.md"), setting, modelsTable(measured) + "\n" + peersTable(measured)
        + "\n" + goals(measured), out.resolve("models.csv"));
    System.exit(0); // the runner's Lambda clients keep threads alive
  }

  /**
   * The defaults every model shares, as the build this runs on has them, and with {@code factorization} the ones
   * MatrixFactorization has of its own.
   */
  private static String defaults(boolean factorization) {
    TrainingSpec spec = LogisticRegression.withValidationSet(null).spec();
    String shared = String.format(Locale.ROOT, "solver %s: L-BFGS for a linear model whose training rows the workers'"
            + " memory holds, l2 chosen on the validation rows among C = %s; else SGD, %s, learning rate %s, minibatch"
            + " %d, l2 %s, stopping when the validation loss improves by less than %s over %d evaluations %s",
        spec.solver(), Arrays.toString(PenaltyPath.cs()), spec.optimizer(),
        spec.learningRate(), spec.minibatchSize(),
        Float.isNaN(spec.l2()) ? "chosen on the validation rows among C = " + Arrays.toString(PenaltyPath.cs())
            : String.valueOf(spec.l2()),
        spec.epsilon(), spec.window(), spec.evalIntervalMillis() > 0 ? spec.evalIntervalMillis() + " ms apart"
            : "paced by the data (two passes over the training rows apart, between 100 and 500 ms)");
    if (!factorization) {
      return shared;
    }
    TrainingSpec mf = MatrixFactorization.withValidationSet(null).spec();
    return String.format(Locale.ROOT, "%s; MatrixFactorization's own: l2 %s a push (ALS's lambda %.3g), rank the"
        + " planted one, %s, learning rate %s, minibatch %d", shared, mf.l2(), ourPenalties(Model.FACTORIZATION, 0)[0],
        mf.optimizer(), mf.learningRate(), mf.minibatchSize());
  }

  /** The solver's optimum, then ours, then the Python peers, on one data set. */
  private static Measured measure(LocalLambdaService lambda, DataSet data, Model model, int seconds)
      throws Exception {
    Optimum optimum = model.solve(data, data.cGrid);
    // How much of our distance from the optimum is our default penalties', not SGD's: the solver at the best of them.
    // An L1 model is trained at the optimum's own C.
    Optimum atOurPenalty =
        model == Model.LOGISTIC_L1 ? optimum : model.solve(data, ourPenalties(model, data.train.size()));
    System.out.printf(Locale.ROOT, "%s on %s: %s at %s = %s, test %s %.5f, %.1f s; at the best of our penalties (%s = %s) %.5f%n",
        model.title, data.name, model.solver, model.penalty(), optimum.c, model.lossName(), optimum.testLoss,
        optimum.seconds, model.penalty(), atOurPenalty.c, atOurPenalty.testLoss);
    TrainResult ours = LambdaTraining.train(lambda, "models-" + model.option + "-" + data.key, data.split,
        validation -> model.training(validation, data, optimum).workers(WORKERS)
            .timeout(Duration.ofSeconds(seconds)));
    TrainedModel keptModel = data.split.keptModel(ours);
    double kept = keptModel.evaluate(data.test.toArray(new SparseRow[0])).loss();
    double oursTestLoss = model.loss == null ? Math.sqrt(kept) : kept; // a factorization's loss is the MSE
    int oursNonZeros = optimum.nonZeros < 0 ? -1 : nonZeros(((LinearModel) keptModel).weights());
    System.out.printf(Locale.ROOT, "ours: kept model's test %s %.5f (%.4fx), %,.0f updates/s, stopped: %s%s%n",
        model.lossName(), oursTestLoss, oursTestLoss / optimum.testLoss, ours.updatesPerSecond(), ours.stopReason(),
        oursNonZeros < 0 ? "" : String.format(Locale.ROOT, "; non-zero weights %,d against the solver's %,d",
            oursNonZeros, optimum.nonZeros));
    Map<String, Peer> peers = model.loss == null
        ? Map.of("SGD peer: none (scikit-learn has no matrix factorization)",
            new Peer(List.of(), "scikit-learn has no matrix factorization, so there is no SGD peer"))
        : model == Model.LOGISTIC_L1
        ? Map.<String, Peer>of() // the Python peers train an L2 penalty
        : PythonPeers.run(data.train, data.test, seconds, model.peerOptions(data.classes));
    return new Measured(model, data, optimum, atOurPenalty, ours, oursTestLoss, oursNonZeros, peers);
  }

  /**
   * The solver's penalties of our default L2 on {@code trainingRows} rows. For a linear model the C of each penalty
   * the default may choose: C times the summed loss plus half the squared weights is the mean loss plus
   * {@code l2 / 2} times them for {@code l2 = 1 / (C n)}, the penalty on every weight at every push.
   * For a factorization ALS's lambda: a push's gradient is the minibatch's mean gradient of the squared errors plus
   * {@code l2} times each row it touches, so a rating of a user once in the batch adds {@code minibatch * l2} times
   * the user's row beside its error's gradient, that of the error's square plus {@code minibatch * l2 / 2} times the
   * row's, and summed over the user's n ratings ALS's {@code lambda n |p|^2} with {@code lambda = minibatch * l2 / 2}.
   */
  private static double[] ourPenalties(Model model, int trainingRows) {
    if (model.loss == null) {
      TrainingSpec spec = MatrixFactorization.withValidationSet(null).spec();
      return new double[] {spec.minibatchSize() * (double) spec.l2() / 2};
    }
    float l2 = LogisticRegression.withValidationSet(null).spec().l2();
    return Float.isNaN(l2) ? PenaltyPath.cs() : new double[] {1 / (l2 * (double) trainingRows)};
  }

  /**
   * Planted ratings of {@code users} by {@code items} at {@code rank}, {@code ratings} in all, split 90/5/5 as the
   * other data sets.
   */
  private static DataSet plantedRatings(int users, int items, int rank, int ratings) {
    int train = ratings * 9 / 10;
    PlantedRatings planted =
        new PlantedRatings(users, items, rank, train, ratings - train, RATING_NOISE, BenchmarkData.SEED);
    int half = planted.test.size() / 2;
    String name = String.format(Locale.ROOT, "planted ratings %,d x %,d, rank %d", users, items, rank);
    String key = "ratings-" + users + "x" + items + "-" + rank + "-" + ratings + "-" + BenchmarkData.SEED;
    return new DataSet(name, key, BenchmarkData.written(key, users + items, planted.train,
        planted.test.subList(0, half), planted.test.subList(half, planted.test.size())), planted.train,
        planted.test.subList(half, planted.test.size()), 0, users + items, ALS_LAMBDA, planted);
  }

  /** The benchmark data at {@code rows} rows, generated Criteo-like and prepared by the DSL. */
  private static DataSet criteo(long rows) throws Exception {
    BenchmarkData split = BenchmarkData.prepare(rows);
    return new DataSet("Criteo-shaped", "criteo-" + rows, split, DatasetReader.readAll(split.store, split.train),
        DatasetReader.readAll(split.store, split.test), 2, 1 << BenchmarkData.MODEL_BITS, CRITEO_C, null);
  }

  /** Bag-of-words documents: words of a Zipf vocabulary, labels from a planted model. */
  private static DataSet bagOfWords(int documents) {
    BagOfWordsGenerator generator =
        new BagOfWordsGenerator(BenchmarkData.SEED, VOCABULARY, TOKENS_PER_DOCUMENT, ZIPF_EXPONENT);
    List<SparseRow> rows = Stream.generate(generator::next).limit(documents).toList();
    int train = documents * 9 / 10;
    int validation = (documents - train) / 2;
    return written("bag-of-words", "bag-of-words-" + documents + "-" + BenchmarkData.SEED, VOCABULARY,
        rows.subList(0, train), rows.subList(train, train + validation), rows.subList(train + validation, documents),
        2, WIDE_C);
  }

  /** Ten classes drawn from a planted multinomial model over one-hot features. */
  private static DataSet plantedClasses(int rows) {
    int train = rows * 9 / 10;
    PlantedData planted = new PlantedData(PLANTED_FEATURES, PLANTED_CLASSES, train, rows - train, BenchmarkData.SEED);
    int half = planted.test.size() / 2;
    return written("planted, 10 classes", "planted-" + PLANTED_CLASSES + "-" + rows + "-" + BenchmarkData.SEED,
        PLANTED_FEATURES, planted.train, planted.test.subList(0, half),
        planted.test.subList(half, planted.test.size()), PLANTED_CLASSES, MULTINOMIAL_C);
  }

  /** scikit-learn's digits, split as MultinomialLogisticRegressionTest splits them. */
  private static DataSet digits() throws IOException {
    List<SparseRow> digits = ScikitLearn.digits();
    return written("digits", "digits", 64, digits.subList(0, 1_200), digits.subList(1_200, 1_500),
        digits.subList(1_500, digits.size()), DIGIT_CLASSES, MULTINOMIAL_C);
  }

  private static DataSet written(String name, String key, int features, List<SparseRow> train,
      List<SparseRow> validation, List<SparseRow> test, int classes, double[] cGrid) {
    return new DataSet(name, key, BenchmarkData.written(key, features, train, validation, test), train, test,
        classes, features, cGrid, null);
  }

  private static String modelsTable(List<Measured> measured) {
    StringBuilder md = new StringBuilder("| model | data set | solver (best C) | optimum test loss | solver's time"
        + " | solver at our penalties (best) | ours: kept model's test loss | / optimum | time to within 1% | updates/s"
        + " | stopped | within 2% | to 1% sooner than every SGD peer |\n"
        + "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|\n");
    for (Measured m : measured) {
      md.append(String.format(Locale.ROOT, "| %s | %s | %s (%s = %s) | %s | %.1f s | %s (%s = %.3g) | %s | %s | %s"
              + " | %,.0f | %s after %.1f s | %s | %s |%n", m.model.title + units(m), m.data.name, m.model.solver,
          m.model.penalty(), m.optimum.c, loss(m.optimum.testLoss), m.optimum.seconds, loss(m.atOurPenalty.testLoss),
          m.model.penalty(), m.atOurPenalty.c,
          loss(m.oursTestLoss), ratio(m.oursTestLoss / m.optimum.testLoss),
          seconds(m.oursTimeToBand()), m.ours.updatesPerSecond(), m.ours.stopReason().name().toLowerCase(Locale.ROOT),
          m.oursSeconds(), m.withinGoal() ? "met" : "not met", m.fasterThanSgdPeers()));
    }
    return md.toString();
  }

  private static String peersTable(List<Measured> measured) {
    StringBuilder md = new StringBuilder("| model | data set | learner | final test loss | / optimum | training time"
        + " | time to within 1% of the optimum |\n|---|---|---|---:|---:|---:|---:|\n");
    for (Measured m : measured) {
      String at = "| " + m.model.title + units(m) + " | " + m.data.name + " | ";
      md.append(String.format(Locale.ROOT, "%sours, LambdaRunner, %d workers (kept model) | %s | %s | %.1f s"
          + " | %s |%n", at, WORKERS, loss(m.oursTestLoss), ratio(m.oursTestLoss / m.optimum.testLoss), m.oursSeconds(),
          seconds(m.oursTimeToBand())));
      if (m.data.ratings != null) {
        md.append(String.format(Locale.ROOT, "%s%s | %s | %s | - | - |%n", at, FLOOR, loss(m.data.ratings.noise),
            ratio(m.data.ratings.noise / m.optimum.testLoss)));
      }
      m.peers.forEach((name, peer) -> md.append(!peer.installed()
          ? at + name + " | not installed | - | - | - |\n"
          : String.format(Locale.ROOT, "%s%s | %s | %s | %.1f s | %s |%n", at, name, loss(peer.finalLoss()),
              ratio(peer.finalLoss() / m.optimum.testLoss), peer.seconds(), seconds(peer.timeTo(m.target())))));
    }
    return md.toString();
  }

  private static String goals(List<Measured> measured) {
    long within = measured.stream().filter(Measured::withinGoal).count();
    long faster = measured.stream().filter(m -> m.fasterThanSgdPeers().equals("met")).count();
    String factorization = measured.stream().anyMatch(m -> m.model.loss == null)
        ? " MatrixFactorization's loss columns are test RMSE (its test curve's mean squared error is held to the"
            + " square of 1.01 times ALS's RMSE); its optimum is biased ALS at the best lambda of the grid, its floor"
            + " the planted model's RMSE (the noise); it has no SGD peer: scikit-learn has no matrix factorization."
        : "";
    StringBuilder sparsity = new StringBuilder();
    for (Measured m : measured) {
      if (m.model == Model.LOGISTIC_L1) {
        sparsity.append(String.format(Locale.ROOT, " %s on %s (no SGD peer: the Python peers train an L2 penalty),"
                + " trained at the solver's C = %s (l1 = %.3g): %,d non-zero weights against the solver's %,d, of %,d.",
            m.model.title, m.data.name, m.optimum.c,
            1 / (m.optimum.c * m.data.train.size()), m.oursNonZeros, m.optimum.nonZeros, m.data.features + 1));
      }
    }
    return String.format(Locale.ROOT, "Within 2%% of the optimum: %d of %d; within 1%% sooner than every SGD peer: %d"
        + " of %d. The SGD peers are scikit-learn's SGDClassifier on the model's loss at its defaults; on K classes it"
        + " is one-vs-rest (it has no softmax loss), scored by the log loss of its normalised one-vs-rest"
        + " probabilities. xgboost's gblinear is coordinate descent, shown beside them but not part of the goal.%s%s%n",
        within, measured.size(), faster, measured.size(), factorization, sparsity);
  }

  /** What a row's loss columns hold when it is not the model's own loss: a factorization's RMSE. */
  private static String units(Measured m) {
    return m.model.loss == null ? " (test RMSE)" : "";
  }

  /** A loss as the tables show it: a diverged SGD's (1e19) in powers of ten rather than twenty digits. */
  private static String loss(double value) {
    return String.format(Locale.ROOT, value < 1e4 ? "%.5f" : "%.2e", value);
  }

  private static String ratio(double value) {
    return String.format(Locale.ROOT, value < 1e4 ? "%.4fx" : "%.2ex", value);
  }

  private static String seconds(double s) {
    return Double.isNaN(s) ? "not reached" : String.format(Locale.ROOT, "%.1f s", s);
  }

  /** One line per learner: the solver, ours, each peer, with the figures of the tables. */
  private static void writeCsv(Path file, List<Measured> measured) throws IOException {
    try (PrintWriter csv = new PrintWriter(Files.newBufferedWriter(file))) {
      csv.println("model,data_set,learner,test_loss,optimum,training_seconds,seconds_to_within_1pct,updates_per_s");
      for (Measured m : measured) {
        String at = String.format("\"%s\",\"%s\",", m.model.title + units(m), m.data.name);
        csv.printf(Locale.ROOT, "%s\"%s (%s = %s)\",%.6f,%.6f,%.3f,,%n", at, m.model.solver, m.model.penalty(),
            m.optimum.c, m.optimum.testLoss, m.optimum.testLoss, m.optimum.seconds);
        csv.printf(Locale.ROOT, "%s\"%s at the best of our default penalties (%s = %.3g)\",%.6f,%.6f,%.3f,,%n", at,
            m.model.solver, m.model.penalty(), m.atOurPenalty.c, m.atOurPenalty.testLoss, m.optimum.testLoss,
            m.atOurPenalty.seconds);
        if (m.data.ratings != null) {
          csv.printf(Locale.ROOT, "%s\"%s\",%.6f,%.6f,,,%n", at, FLOOR, m.data.ratings.noise, m.optimum.testLoss);
        }
        csv.printf(Locale.ROOT, "%s\"ours, LambdaRunner, %d workers\",%.6f,%.6f,%.3f,%s,%.1f%n", at, WORKERS,
            m.oursTestLoss, m.optimum.testLoss, m.oursSeconds(), csvSeconds(m.oursTimeToBand()),
            m.ours.updatesPerSecond());
        m.peers.forEach((name, peer) -> {
          if (peer.installed()) {
            csv.printf(Locale.ROOT, "%s\"%s\",%.6f,%.6f,%.3f,%s,%n", at, name.replace("\"", "\"\""),
                peer.finalLoss(), m.optimum.testLoss, peer.seconds(), csvSeconds(peer.timeTo(m.target())));
          }
        });
      }
    }
  }

  private static String csvSeconds(double s) {
    return Double.isNaN(s) ? "" : String.format(Locale.ROOT, "%.3f", s);
  }
}
