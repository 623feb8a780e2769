package dev.stratus.kernels.generate;

import dev.stratus.kernels.data.Ratings;
import dev.stratus.kernels.data.SparseRow;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Ratings drawn from a planted low-rank model: {@code mean + userBias + itemBias + p_user . q_item} plus Gaussian
 * noise, each a distinct (user, item) pair, users and items drawn uniformly. The noise's standard deviation is the RMSE
 * the planted model itself scores, the floor any learner is held against.
 */
public final class PlantedRatings {
  public final int users;
  public final int items;
  public final int rank;
  public final double noise;
  public final List<SparseRow> train;
  public final List<SparseRow> test;

  public PlantedRatings(int users, int items, int rank, int trainRatings, int testRatings, double noise, long seed) {
    if ((long) trainRatings + testRatings > (long) users * items / 2) {
      throw new IllegalArgumentException(trainRatings + " + " + testRatings + " ratings are more than half of "
          + users + " x " + items + " pairs");
    }
    this.users = users;
    this.items = items;
    this.rank = rank;
    this.noise = noise;
    Random random = new Random(seed);
    double scale = 1 / Math.sqrt(Math.sqrt(rank)); // p . q has variance 1 whatever the rank
    double[][] userFactors = gaussians(random, users, rank, scale);
    double[][] itemFactors = gaussians(random, items, rank, scale);
    double[] userBias = gaussians(random, 1, users, 0.3)[0];
    double[] itemBias = gaussians(random, 1, items, 0.3)[0];
    Set<Long> taken = new HashSet<>();
    List<SparseRow> rows = new ArrayList<>(trainRatings + testRatings);
    while (rows.size() < trainRatings + testRatings) {
      int user = random.nextInt(users);
      int item = random.nextInt(items);
      if (taken.add((long) user * items + item)) {
        double rating = 3.5 + userBias[user] + itemBias[item] + dot(userFactors[user], itemFactors[item])
            + noise * random.nextGaussian();
        rows.add(Ratings.row(user, item, (float) rating, users));
      }
    }
    train = rows.subList(0, trainRatings);
    test = rows.subList(trainRatings, rows.size());
  }

  private static double[][] gaussians(Random random, int count, int size, double scale) {
    double[][] values = new double[count][size];
    for (double[] row : values) {
      for (int i = 0; i < size; i++) {
        row[i] = scale * random.nextGaussian();
      }
    }
    return values;
  }

  private static double dot(double[] a, double[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }
}
