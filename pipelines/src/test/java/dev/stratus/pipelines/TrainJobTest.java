package dev.stratus.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stratus.dsl.TrainingOptions;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.kernels.generate.PlantedRatings;
import dev.stratus.kernels.reference.Liblinear;
import dev.stratus.kernels.sgd.ClassifierMetrics;
import dev.stratus.kernels.sgd.RegressionMetrics;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The user-data job on a small generated LIBSVM file, on the DirectRunner, and its refusals of bad options. */
class TrainJobTest {
  private static final int ROWS = 5_000;
  private static final int FEATURES = 40;

  @TempDir static Path dir;
  private static Path input;
  /** The AUC of the model that generated the labels, on every row: what a learned model can approach. */
  private static double plantedAuc;

  @BeforeAll
  static void writeLibsvm() throws IOException {
    input = dir.resolve("planted.svm");
    SplittableRandom random = new SplittableRandom(11);
    double[] weights = new double[FEATURES + 1];
    for (int j = 1; j <= FEATURES; j++) {
      weights[j] = random.nextGaussian() * 1.5;
    }
    float[] labels = new float[ROWS];
    double[] probabilities = new double[ROWS];
    try (Writer out = Files.newBufferedWriter(input)) {
      for (int i = 0; i < ROWS; i++) {
        StringBuilder features = new StringBuilder();
        double margin = 0;
        for (int j = 1; j <= FEATURES; j++) {
          if (random.nextInt(4) == 0) { // about ten features a row, in increasing order
            double value = random.nextDouble() * 4;
            margin += weights[j] * value;
            features.append(String.format(Locale.ROOT, " %d:%.4f", j, value));
          }
        }
        probabilities[i] = 1 / (1 + Math.exp(-margin));
        labels[i] = random.nextDouble() < probabilities[i] ? 1 : 0;
        out.write((labels[i] == 1 ? "+1" : "-1") + features + "\n");
      }
    }
    plantedAuc = ClassifierMetrics.of(labels, probabilities, ROWS).auc();
  }

  @Test
  @Timeout(240)
  void trainsOnALibsvmFileAndReportsTheTestSetMetrics() {
    TrainJob.Result result = TrainJob.run(
        "--input=" + input, "--format=libsvm", "--dataDir=" + dir.resolve("store"), "--output=s3://jobs/planted",
        "--trainFraction=0.7", "--validationFraction=0.1", "--workers=2", "--epochs=5", "--trainSeconds=120");

    ClassifierMetrics test = assertInstanceOf(ClassifierMetrics.class, result.testMetrics());
    assertEquals(0.2 * ROWS, test.count(), 0.2 * ROWS * 0.2, "the test set is the rows neither trained nor validated on");
    assertTrue(test.auc() > plantedAuc - 0.05, "test AUC " + test.auc() + " far below the planted model's " + plantedAuc);
    assertTrue(test.loss() < Math.log(2), "no better than a coin: " + test);
    ObjectStore store = ObjectStore.of(StoreSpec.embedded(dir.resolve("store")));
    assertTrue(store.exists(S3Path.parse("s3://jobs/planted/model.bin")));
    String json = new String(store.get(S3Path.parse(result.metricsLocation())), StandardCharsets.UTF_8);
    assertTrue(json.contains("\"auc\": " + test.auc()), json);
  }

  @Test
  @Timeout(400)
  void endsWithASearchOnTheSameSplitThatRanksItsExperiments() throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    TrainJob.Result result;
    try {
      result = TrainJob.run(
          "--input=" + input, "--format=libsvm", "--dataDir=" + dir.resolve("store"), "--output=s3://jobs/searched",
          "--workers=1", "--epochs=5", "--trainSeconds=60", "--searchSeconds=4");
    } finally {
      System.setOut(original);
    }
    String console = printed.toString(StandardCharsets.UTF_8);
    System.out.print(console);
    ObjectStore store = ObjectStore.of(StoreSpec.embedded(dir.resolve("store")));
    JsonNode search = new ObjectMapper().readTree(store.get(S3Path.parse(result.searchResult())));
    JsonNode experiments = search.get("experiments");
    assertEquals(6, experiments.size(), search.toPrettyString());
    for (int i = 0; i < experiments.size(); i++) {
      JsonNode experiment = experiments.get(i);
      assertEquals(i + 1, experiment.get("rank").asInt());
      assertTrue(experiment.get("updates").asLong() > 0, experiment.toPrettyString());
      String label = "experiment " + experiment.get("id").asInt() + " (learningRate=";
      assertTrue(console.lines().anyMatch(line -> line.startsWith(label)
              && (line.contains("  loss ") || line.contains("  kept loss "))),
          "the console showed experiment " + experiment.get("id") + " with its loss:\n" + console);
    }
    assertTrue(experiments.get(0).get("bestValidationLoss").asDouble() < Math.log(2), search.toPrettyString());
    assertEquals(experiments.get(0).get("modelPath").asText(), search.get("bestModelPath").asText());
    assertTrue(console.contains("experiments at once: 2 to start"), "the search chooses its experiments at once:\n"
        + console);
    assertTrue(console.matches("(?s).*6 experiments, \\d at a time.*") && console.contains("best model "
        + search.get("bestModelPath").asText()), "the ranked table and the best model are printed:\n" + console);
  }

  @Test
  @Timeout(240)
  void trainsAMultinomialModelOnClassLabelsAndRefusesALabelOutsideThemNamingFileAndLine() throws IOException {
    PlantedData data = new PlantedData(100, 3, 5_000, 0, 5);
    Path classes = Liblinear.writeLibsvm(dir.resolve("classes.svm"), data.train);
    TrainJob.Result result = TrainJob.run("--input=" + classes, "--model=multinomial", "--classes=3",
        "--dataDir=" + dir.resolve("store"), "--output=s3://jobs/classes", "--workers=2", "--epochs=3",
        "--trainSeconds=60");

    ClassifierMetrics test = assertInstanceOf(ClassifierMetrics.class, result.testMetrics());
    int[] counts = new int[3];
    data.train.forEach(row -> counts[(int) row.label()]++);
    double commonest = (double) Arrays.stream(counts).max().getAsInt() / data.train.size();
    assertEquals(3, test.confusion().classes());
    assertTrue(test.accuracy() > commonest + 0.1, "accuracy " + test.accuracy() + " against " + commonest);
    assertTrue(test.loss() < Math.log(3), "no better than a uniform guess: " + test);

    Path bad = Files.writeString(dir.resolve("bad-classes.svm"), "0 1:1\n1 2:1\n3 1:1\n");
    Throwable failure = assertThrows(RuntimeException.class, () -> TrainJob.run("--input=" + bad,
        "--model=multinomial", "--classes=3", "--dataDir=" + dir.resolve("store"), "--output=s3://jobs/bad"));
    while (failure.getCause() != null && !failure.getMessage().contains(":3: ")) {
      failure = failure.getCause();
    }
    assertTrue(failure.getMessage().contains(bad + ":3: label 3 is not a class: classes(3) takes whole labels 0 to 2"),
        failure.getMessage());
  }

  @Test
  @Timeout(240)
  void factorizesRatingsAndReportsTheTestSetsErrors() throws IOException {
    PlantedRatings data = new PlantedRatings(300, 200, 3, 20_000, 0, 0.5, 3);
    Path ratings = dir.resolve("ratings.csv");
    double sum = 0;
    try (Writer out = Files.newBufferedWriter(ratings)) {
      out.write("user,item,rating\n");
      for (SparseRow row : data.train) {
        out.write(row.indices()[0] + "," + (row.indices()[1] - data.users) + "," + row.label() + "\n");
        sum += row.label();
      }
    }
    double mean = sum / data.train.size();
    double spread = Math.sqrt(data.train.stream().mapToDouble(r -> (r.label() - mean) * (r.label() - mean)).sum()
        / data.train.size());
    TrainJob.Result result = TrainJob.run("--input=" + ratings, "--format=ratings", "--model=factorization",
        "--users=300", "--items=200", "--rank=3", "--dataDir=" + dir.resolve("store"), "--output=s3://jobs/ratings",
        "--workers=2", "--trainSeconds=60");

    RegressionMetrics test = assertInstanceOf(RegressionMetrics.class, result.testMetrics());
    assertEquals(0.1 * data.train.size(), test.count(), 0.1 * data.train.size() * 0.2, "the held-out test ratings");
    // the ratings' own spread is the RMSE of always predicting their mean; the planted noise, 0.5, is the floor
    assertTrue(test.rmse() < 0.5 + 0.5 * (spread - 0.5), "test RMSE " + test.rmse() + ", ratings' spread " + spread);
    assertTrue(test.mae() < test.rmse(), test.toString());
  }

  @Test
  void refusesBadOptionsNamingTheOptionAndTheValidValues() {
    String in = "--input=" + input;
    assertMessage("--format: 'arff' is not a format; use libsvm, csv, criteo or ratings", in, "--format=arff");
    assertMessage("--trainFraction + --validationFraction must be below 1", in, "--trainFraction=0.8",
        "--validationFraction=0.3");
    assertMessage("--trainFraction must be in (0, 1), got 1.5", in, "--trainFraction=1.5");
    assertMessage("--validationFraction must be in (0, 1), got 0.0", in, "--validationFraction=0");
    assertMessage("--input is required", "--format=csv");
    assertMessage("--normalize: 'log' is not a scaling; use minmax, standard or none", in, "--normalize=log");
    assertMessage("--optimizer: 'adam' is not one of sgd, adagrad or momentum", in, "--optimizer=adam");
    assertMessage("workers must be in [0, 1000], got -1", in, "--workers=-1");
    assertMessage("--output: 'Bad' is not a valid bucket name", in, "--output=s3://Bad/x");
    assertMessage("--searchSeconds must be 0 (no search) or more, got -1", in, "--searchSeconds=-1");
    assertMessage("--model: 'tree' is not a model; use logistic, svm, multinomial or factorization", in,
        "--model=tree");
    assertMessage("--model=factorization trains on ratings: use --format=ratings", in, "--model=factorization");
    assertMessage("--format=ratings is for --model=factorization, not --model=logistic", in, "--format=ratings");
    assertMessage("--format=ratings needs --users and --items", in, "--format=ratings", "--model=factorization",
        "--items=5");
    assertMessage("--normalize=standard: ratings are not scaled", in, "--format=ratings", "--model=factorization",
        "--users=5", "--items=5", "--normalize=standard");
    assertMessage("--model=multinomial needs --classes=K", in, "--model=multinomial");
    assertMessage("--classes is for --model=multinomial", in, "--classes=3");
    assertMessage("--format=criteo has two classes", in, "--format=criteo", "--model=multinomial", "--classes=3");
  }

  @Test
  void helpListsEveryOptionWithItsDefault() {
    PrintStream original = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      TrainJob.main(new String[] {"--help"});
    } finally {
      System.setOut(original);
    }
    String help = printed.toString(StandardCharsets.UTF_8);
    for (var method : TrainJob.Options.class.getDeclaredMethods()) {
      if (method.getName().startsWith("get")) {
        String option = Character.toLowerCase(method.getName().charAt(3)) + method.getName().substring(4);
        assertTrue(help.contains("--" + option + "="), "--help does not list --" + option + ":\n" + help);
      }
    }
    for (var method : TrainingOptions.class.getDeclaredMethods()) {
      if (method.getName().startsWith("get")) {
        String option = Character.toLowerCase(method.getName().charAt(3)) + method.getName().substring(4);
        assertTrue(help.contains("--" + option + "="), "--help does not list --" + option + " (shards run elsewhere)");
      }
    }
    for (var method : StoreOptions.class.getDeclaredMethods()) {
      if (method.getName().startsWith("get")) {
        String option = Character.toLowerCase(method.getName().charAt(3)) + method.getName().substring(4);
        assertTrue(help.contains("--" + option + "="), "--help does not list --" + option);
      }
    }
    assertTrue(help.contains("Default: 0.8"), help);
    assertTrue(help.contains("Default: libsvm"), help);
  }

  private static void assertMessage(String expected, String... args) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainJob.run(args));
    assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
  }
}
