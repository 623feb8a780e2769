package dev.stratus.kernels.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearModel;
import java.util.Arrays;
import java.util.List;
import java.util.stream.DoubleStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ScikitLearnTest {
  private static List<SparseRow> digits;

  @BeforeAll
  static void loadDigits() throws Exception {
    digits = ScikitLearn.digits();
  }

  @Test
  void digitsAreScikitLearnsImagesInItsOrderScaledIntoTheUnitInterval() {
    assertEquals(1797, digits.size());
    // The first image is a 0 whose top row of pixels is 0 0 5 13 9 1 0 0.
    SparseRow first = digits.get(0);
    assertEquals(0f, first.label());
    assertArrayEquals(new int[] {2, 3, 4, 5}, Arrays.copyOf(first.indices(), 4));
    assertArrayEquals(new float[] {5 / 16f, 13 / 16f, 9 / 16f, 1 / 16f}, Arrays.copyOf(first.values(), 4));
    for (SparseRow row : digits) {
      assertTrue(row.label() == (int) row.label() && row.label() >= 0 && row.label() <= 9, row.toString());
      assertTrue(row.size() == 0 || row.indices()[row.size() - 1] < 64, row.toString());
      for (float v : row.values()) {
        assertTrue(v > 0 && v <= 1 && v * 16 == Math.rint(v * 16), row.toString());
      }
    }
    assertEquals(10, digits.stream().mapToDouble(SparseRow::label).distinct().count());
  }

  @Test
  void theDigitsOptimumScoresInJavaWhatScikitLearnReports() throws Exception {
    List<SparseRow> train = digits.subList(0, 1400);
    List<SparseRow> test = digits.subList(1400, digits.size());
    double[] grid = {0.1, 1, 10};
    ScikitLearn.Optimum optimum = ScikitLearn.multinomialBestOf(10, train, test, grid);

    assertEquals(65 * 10, optimum.weights().length);
    assertTrue(DoubleStream.of(grid).anyMatch(c -> c == optimum.c()), "C " + optimum.c());
    assertEquals(optimum.testLoss(), testLoss(optimum.weights(), 10, test), 1e-4);
    assertTrue(optimum.testAccuracy() > 0.9, "accuracy " + optimum.testAccuracy());
    assertTrue(optimum.trainSeconds() > 0 && optimum.trainSeconds() < 60, optimum.trainSeconds() + " s");
  }

  @Test
  void twoClassesGetTheSoftmaxOfOppositeMargins() throws Exception {
    // scikit-learn keeps only class 1's weights of a two-class multinomial model: class 0's are their opposite.
    List<SparseRow> zerosAndOnes = digits.stream().filter(row -> row.label() < 2).toList();
    List<SparseRow> train = zerosAndOnes.subList(0, 250);
    List<SparseRow> test = zerosAndOnes.subList(250, zerosAndOnes.size());
    ScikitLearn.Optimum optimum = ScikitLearn.multinomialBestOf(2, train, test, 0.01);

    float[] w = optimum.weights();
    for (int i = 0; i < w.length; i += 2) {
      assertEquals(-w[i], w[i + 1]);
    }
    assertEquals(optimum.testLoss(), testLoss(w, 2, test), 1e-4);
    assertTrue(optimum.testAccuracy() > 0.95, "accuracy " + optimum.testAccuracy());
  }

  @Test
  void onPlantedThreeClassDataTheOptimumBeatsTheCommonestClassAndNearsThePlantedModel() throws Exception {
    PlantedData data = new PlantedData(30, 3, 10_000, 1000, 7);
    ScikitLearn.Optimum optimum = ScikitLearn.multinomialBestOf(3, data.train, data.test, 0.1, 1, 10);

    int[] counts = new int[3];
    data.test.forEach(row -> counts[(int) row.label()]++);
    double commonest = (double) Arrays.stream(counts).max().getAsInt() / data.test.size();
    assertTrue(optimum.testAccuracy() > commonest + 0.2, optimum.testAccuracy() + " vs " + commonest);
    double plantedLoss = data.truth.meanLoss(data.test.toArray(new SparseRow[0]));
    assertTrue(optimum.testLoss() < plantedLoss * 1.05, optimum.testLoss() + " vs " + plantedLoss);
    assertEquals(optimum.testLoss(), testLoss(optimum.weights(), 3, data.test), 1e-4);
  }

  @Test
  void labelsOutsideTheClassesAndClassesWithoutTrainingRowsAreRefused() {
    List<SparseRow> rows = List.of(row(0), row(1), row(2));
    assertThrows(IllegalArgumentException.class, () -> ScikitLearn.multinomialBestOf(2, rows, rows, 1));
    assertThrows(IllegalArgumentException.class, () -> ScikitLearn.multinomialBestOf(4, rows, rows, 1));
    List<SparseRow> fractional = List.of(row(0), row(1), new SparseRow(0.5f, new int[] {0}, new float[] {1}));
    assertThrows(IllegalArgumentException.class, () -> ScikitLearn.multinomialBestOf(2, fractional, rows, 1));
  }

  private static SparseRow row(float label) {
    return new SparseRow(label, new int[] {0}, new float[] {1});
  }

  /** The test loss of the solver's weights as our own multinomial model computes it: the layouts agree. */
  private static double testLoss(float[] weights, int classes, List<SparseRow> rows) {
    return new LinearModel(weights, LinearLoss.MULTINOMIAL, classes).meanLoss(rows.toArray(new SparseRow[0]));
  }
}
