package dev.stratus.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.jobs.search.Experiment;
import java.time.Duration;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.util.construction.PTransformTranslation;
import org.junit.jupiter.api.Test;

/**
 * A search refuses bad input while the pipeline is built, before any data is read or any training starts, with a
 * message naming what was wrong; and builds the experiments it promises.
 */
class SearchBadInputTest {
  private static LogisticRegression base(Pipeline p) {
    return LogisticRegression.withValidationSet(p.apply("Validation", ReadDataset.from("s3://tests/none/validation")));
  }

  private static String refusal(org.junit.jupiter.api.function.Executable construction) {
    return assertThrows(IllegalArgumentException.class, construction).getMessage();
  }

  @Test
  void anEmptyGridIsRefusedWhenApplied() {
    Pipeline p = DataTesting.pipeline();
    GridSearch empty = GridSearch.of(base(p)).parallelism(2);
    String message = refusal(() -> p.apply("Train", ReadDataset.from("s3://tests/none/train")).apply(empty));
    assertTrue(message.startsWith("GridSearch: the grid is empty"), message);
    assertTrue(message.contains("learningRate"), "names what may be varied: " + message);
    assertEquals("GridSearch: vary(\"learningRate\") needs at least one value",
        refusal(() -> GridSearch.of(base(p)).vary("learningRate")));
  }

  @Test
  void anUnknownHyperparameterIsRefused() {
    Pipeline p = DataTesting.pipeline();
    String message = refusal(() -> GridSearch.of(base(p)).vary("learningRat", 0.1));
    assertTrue(message.startsWith("GridSearch: learningRat=0.1 is refused: unknown hyperparameter 'learningRat'"),
        message);
    assertTrue(message.contains("epochs, l1, l2, learningRate, maxPushesInFlight, minibatchSize, workers"), message);
    assertTrue(refusal(() -> RandomSearch.of(base(p)).range("momentum", 0, 1)).contains("'momentum'"));
  }

  @Test
  void aValueOutOfTheOptionsRangeIsRefusedWithTheTrainingsOwnMessage() {
    Pipeline p = DataTesting.pipeline();
    assertEquals("GridSearch: minibatchSize=0 is refused: minibatchSize must be in [1, 100000], got 0",
        refusal(() -> GridSearch.of(base(p)).vary("minibatchSize", 100, 0)));
    assertEquals("GridSearch: learningRate=200.0 is refused: learningRate must be in (1.0E-9, 100.0], got 200.0",
        refusal(() -> GridSearch.of(base(p)).vary("learningRate", 0.1, 200.0)));
    assertEquals("GridSearch: minibatchSize=10.5 is refused: minibatchSize takes whole numbers, got 10.5",
        refusal(() -> GridSearch.of(base(p)).vary("minibatchSize", 10.5)));
    assertEquals("RandomSearch: workers=2000 is refused: workers must be in [0, 1000], got 2000",
        refusal(() -> RandomSearch.of(base(p)).range("workers", 1, 2000)));
    assertEquals("RandomSearch: logRange(\"learningRate\") needs min above 0, got 0.0",
        refusal(() -> RandomSearch.of(base(p)).logRange("learningRate", 0, 1)));
  }

  @Test
  void aSearchIdThatCannotNameAPrefixIsRefused() {
    Pipeline p = DataTesting.pipeline();
    assertEquals("GridSearch: searchId must be 1 to 100 letters, digits, '.', '_' or '-', got 'my search/1'",
        refusal(() -> GridSearch.of(base(p)).searchId("my search/1")));
    assertEquals("RandomSearch: searchId must be 1 to 100 letters, digits, '.', '_' or '-', got null",
        refusal(() -> RandomSearch.of(base(p)).searchId(null)));
  }

  @Test
  void settingsOutsideTheirRangesAreRefused() {
    Pipeline p = DataTesting.pipeline();
    assertEquals("parallelism must be in [0, 1000], got -1",
        refusal(() -> GridSearch.of(base(p)).parallelism(-1)));
    assertEquals("samples must be in [1, 10000], got 0", refusal(() -> RandomSearch.of(base(p)).samples(0)));
    assertEquals("deadline must be between PT1S and PT24H, got PT0.5S",
        refusal(() -> GridSearch.of(base(p)).deadline(Duration.ofMillis(500))));
    assertTrue(refusal(() -> GridSearch.of(LogisticRegression.withValidationSet(null)))
        .contains("needs a validation set"));
  }

  @Test
  void aGridIsTheCartesianProductAndARandomSearchIsSeeded() {
    Pipeline p = DataTesting.pipeline();
    List<Experiment> grid =
        GridSearch.of(base(p).workers(3)).vary("learningRate", 0.1, 0.2, 0.3).vary("minibatchSize", 100, 1000)
            .experiments();
    assertEquals(6, grid.size());
    assertEquals("learningRate=0.1 minibatchSize=1000", grid.get(1).describe());
    assertEquals(1000, grid.get(1).spec().minibatchSize());
    assertEquals(0.3f, grid.get(5).spec().learningRate());
    assertEquals(3, grid.get(5).spec().workers(), "the base's other options are kept");

    RandomSearch random =
        RandomSearch.of(base(p)).logRange("learningRate", 0.01, 1).range("minibatchSize", 10, 1000).samples(20).seed(7);
    List<Experiment> drawn = random.experiments();
    assertEquals(20, drawn.size());
    assertEquals(drawn, random.experiments(), "the same seed draws the same experiments");
    for (Experiment e : drawn) {
      assertTrue(e.spec().learningRate() >= 0.01f && e.spec().learningRate() <= 1f, e.describe());
      assertTrue(e.spec().minibatchSize() >= 10 && e.spec().minibatchSize() <= 1000, e.describe());
      assertTrue(e.parameters().get("minibatchSize") instanceof Integer, e.describe());
    }
    long belowTenth = drawn.stream().filter(e -> e.spec().learningRate() < 0.1f).count();
    assertTrue(belowTenth >= 5 && belowTenth <= 15, "log scale: about half below 0.1, got " + belowTenth);
    assertEquals(HyperparameterSearch.URN, PTransformTranslation.urnForTransform(random));
    assertEquals(HyperparameterSearch.URN, PTransformTranslation.urnForTransform(GridSearch.of(base(p))));
  }
}
