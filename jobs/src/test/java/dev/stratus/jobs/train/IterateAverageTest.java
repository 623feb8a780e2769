package dev.stratus.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearObjective;
import dev.stratus.kernels.sgd.Objective;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The driver's mean of the model's reads: the latest read while the weights still descend, the mean once they wander
 * around the optimum, better than any read there.
 */
class IterateAverageTest {
  private static final int FEATURES = 50;
  private static final Objective LOGISTIC = LinearObjective.of(LinearLoss.LOGISTIC);

  @Test
  void offersTheLatestReadWhileTheWeightsDescendAndTheMeanOnThePlateau() {
    Random random = new Random(7);
    float[] planted = new float[FEATURES + 1]; // the bias last
    for (int f = 0; f < planted.length; f++) {
      planted[f] = (float) random.nextGaussian();
    }
    SparseRow[] validation = rows(planted, 4_000, random);
    IterateAverage average = new IterateAverage(LOGISTIC, validation);

    // Descent: each read a step from zero towards the planted weights, the older reads only worse.
    for (int step = 1; step <= 5; step++) {
      IterateAverage.Scored read = IterateAverage.Scored.of(LOGISTIC, scaled(planted, step / 5f), validation);
      assertSame(read, average.offer(read), "step " + step + ": the mean of older reads is worse than this one");
      assertEquals(1, average.count(), "the mean starts again from each read of the descent");
    }

    // Plateau: reads wandering around the planted weights.
    double bestRead = Double.POSITIVE_INFINITY;
    IterateAverage.Scored offered = null;
    for (int read = 0; read < 30; read++) {
      float[] weights = planted.clone();
      for (int f = 0; f < weights.length; f++) {
        weights[f] += (float) (0.5 * random.nextGaussian());
      }
      IterateAverage.Scored scored = IterateAverage.Scored.of(LOGISTIC, weights, validation);
      bestRead = Math.min(bestRead, scored.metrics().loss());
      offered = average.offer(scored);
    }
    assertTrue(average.count() > 10, "the mean kept growing on the plateau: " + average.count() + " reads");
    assertTrue(offered.metrics().loss() < bestRead,
        "the mean scores " + offered.metrics().loss() + ", better than the best read's " + bestRead);

    average.clear();
    IterateAverage.Scored first = IterateAverage.Scored.of(LOGISTIC, new float[planted.length], validation);
    assertSame(first, average.offer(first), "after a clear the next read starts the mean");
    assertEquals(1, average.count());
  }

  private static float[] scaled(float[] weights, float by) {
    float[] out = new float[weights.length];
    for (int f = 0; f < weights.length; f++) {
      out[f] = weights[f] * by;
    }
    return out;
  }

  /** Dense rows labelled by the planted model's probabilities. */
  private static SparseRow[] rows(float[] planted, int count, Random random) {
    SparseRow[] rows = new SparseRow[count];
    int[] indices = new int[FEATURES];
    for (int f = 0; f < FEATURES; f++) {
      indices[f] = f;
    }
    for (int r = 0; r < count; r++) {
      float[] values = new float[FEATURES];
      double margin = planted[FEATURES];
      for (int f = 0; f < FEATURES; f++) {
        values[f] = (float) (random.nextGaussian() / Math.sqrt(FEATURES));
        margin += planted[f] * values[f];
      }
      float label = random.nextDouble() < 1 / (1 + Math.exp(-margin)) ? 1 : 0;
      rows[r] = new SparseRow(label, indices.clone(), values);
    }
    return rows;
  }
}
