package dev.stratus.kernels.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.Ratings;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.generate.PlantedRatings;
import java.util.List;
import java.util.stream.DoubleStream;
import org.junit.jupiter.api.Test;

class ScikitLearnAlsTest {
  @Test
  void onPlantedRatingsTheOptimumNearsThePlantedNoiseAndFarBeatsMeanOffsets() throws Exception {
    // 125 ratings a user and 167 an item: with 600 x 400 and 40,000 ratings (67 and 100) the optimum itself is 11-15%
    // above the noise (seeds 1 to 5), what estimating 9 numbers a user and an item from so few costs; here 7-9%.
    PlantedRatings data = new PlantedRatings(400, 300, 8, 50_000, 5_000, 0.3, 11);
    double[] grid = {0.01, 0.03, 0.1};
    ScikitLearn.AlsOptimum optimum = ScikitLearn.alsBestOf(data.users, data.items, 8, data.train, data.test, grid);

    assertTrue(DoubleStream.of(grid).anyMatch(lambda -> lambda == optimum.lambda()), "lambda " + optimum.lambda());
    assertTrue(optimum.testRmse() < 1.15 * data.noise, optimum.testRmse() + " vs noise " + data.noise);
    double baseline = meanOffsetsRmse(data);
    assertTrue(optimum.testRmse() < baseline / 2, optimum.testRmse() + " vs mean offsets' " + baseline);
    assertTrue(optimum.testMae() > 0 && optimum.testMae() < optimum.testRmse(), "MAE " + optimum.testMae());
    assertTrue(optimum.trainSeconds() > 0 && optimum.trainSeconds() < 60, optimum.trainSeconds() + " s");
  }

  @Test
  void aUserAndAnItemWithoutTrainingRatingsPredictTheTrainingMean() throws Exception {
    // Only user 0 rates, items 0 and 1: mu is 3, and user 1 and item 2 keep zero factors and biases at every lambda.
    List<SparseRow> train = List.of(Ratings.row(0, 0, 4, 2), Ratings.row(0, 1, 2, 2));
    ScikitLearn.AlsOptimum optimum = ScikitLearn.alsBestOf(2, 3, 8, train, List.of(Ratings.row(1, 2, 5, 2)), 1, 0.1);

    assertEquals(2, optimum.testRmse(), 1e-12);
    assertEquals(2, optimum.testMae(), 1e-12);
    assertEquals(1, optimum.lambda(), "the first of equal lambdas");
  }

  @Test
  void rowsThatAreNotRatingsOfTheUsersAndItemsAndARankBelowOneAreRefused() {
    List<SparseRow> ratings = List.of(Ratings.row(0, 0, 4, 2), Ratings.row(1, 1, 2, 2));
    assertThrows(IllegalArgumentException.class, () -> ScikitLearn.alsBestOf(2, 2, 0, ratings, ratings, 1));
    assertThrows(IllegalArgumentException.class, () -> ScikitLearn.alsBestOf(2, 2, 1, ratings, ratings));
    assertThrows(IllegalArgumentException.class, () -> ScikitLearn.alsBestOf(2, 2, 1, ratings, ratings, 0));
    for (SparseRow bad : List.of(new SparseRow(4, new int[] {0, 2, 3}, new float[] {1, 1, 1}),
        new SparseRow(4, new int[] {0}, new float[] {1}),
        new SparseRow(4, new int[] {0, 1}, new float[] {1, 1}), // two users
        new SparseRow(4, new int[] {2, 3}, new float[] {1, 1}), // two items
        new SparseRow(4, new int[] {0, 2}, new float[] {1, 0.5f}),
        Ratings.row(0, 2, 4, 2))) { // an item past the 2
      assertThrows(IllegalArgumentException.class, () -> ScikitLearn.alsBestOf(2, 2, 1, List.of(bad), ratings, 1),
          bad.toString());
      assertThrows(IllegalArgumentException.class, () -> ScikitLearn.alsBestOf(2, 2, 1, ratings, List.of(bad), 1),
          bad.toString());
    }
  }

  /** The test RMSE of the training mean plus the user's and the item's mean offsets from it (none when unrated). */
  private static double meanOffsetsRmse(PlantedRatings data) {
    double mean = data.train.stream().mapToDouble(SparseRow::label).average().orElseThrow();
    double[] userSums = new double[data.users];
    int[] userCounts = new int[data.users];
    double[] itemSums = new double[data.items];
    int[] itemCounts = new int[data.items];
    for (SparseRow row : data.train) {
      int user = Ratings.user(row);
      int item = Ratings.item(row, data.users);
      userSums[user] += row.label() - mean;
      userCounts[user]++;
      itemSums[item] += row.label() - mean;
      itemCounts[item]++;
    }
    double squares = 0;
    for (SparseRow row : data.test) {
      int user = Ratings.user(row);
      int item = Ratings.item(row, data.users);
      double prediction = mean + (userCounts[user] == 0 ? 0 : userSums[user] / userCounts[user])
          + (itemCounts[item] == 0 ? 0 : itemSums[item] / itemCounts[item]);
      squares += (row.label() - prediction) * (row.label() - prediction);
    }
    return Math.sqrt(squares / data.test.size());
  }
}
