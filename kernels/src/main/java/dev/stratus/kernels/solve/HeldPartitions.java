package dev.stratus.kernels.solve;

import dev.stratus.kernels.sgd.LinearGradient;
import dev.stratus.kernels.sgd.LinearObjective;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The partitions a quasi-Newton worker holds, each laid out as a {@link FullBatch} of its own, so that a pass can sum
 * over whichever of them the driver names: a worker keeps what it read while the driver moves partitions to workers
 * added later, and back. A pass over a set of partitions pulls and pushes the union of their keys, worked out once per
 * set; in between, the pulled values are spread over, and the gradient summed in, arrays indexed by key, which every
 * partition's rows read and add into directly.
 */
public final class HeldPartitions {
  private final Map<Integer, FullBatch> held;
  /** The set {@link #keys} is the union of. */
  private int[] planned;
  private FullBatch[] batches;
  private int[] keys;
  /** The pass's weights and gradient by key, the whole key space; made at the first pass. */
  private float[] weightsByKey = new float[0];
  private float[] gradientByKey = new float[0];

  /** @param held each partition's rows, by partition number */
  public HeldPartitions(Map<Integer, FullBatch> held) {
    this.held = new TreeMap<>(held);
  }

  /** Whether partition {@code p} is held. */
  public boolean holds(int p) {
    return held.containsKey(p);
  }

  /** The union of the keys of {@code partitions} (all held), ascending: what a pass over them pulls and pushes. */
  public int[] keys(int[] partitions) {
    plan(partitions);
    return keys;
  }

  /** The rows of {@code partitions}. */
  public long rows(int[] partitions) {
    long rows = 0;
    for (int p : partitions) {
      rows += batch(p).rows();
    }
    return rows;
  }

  /**
   * The summed gradient of every row of {@code partitions} at {@code weights} (the values of {@link #keys}, {@code
   * objective.columns()} each) into {@code gradient}, laid out as they are; returns the rows' summed loss.
   */
  public double gradient(int[] partitions, LinearObjective objective, float[] weights, float[] gradient) {
    spread(partitions, objective.columns(), weights);
    int columns = objective.columns();
    double loss = 0;
    for (FullBatch batch : batches) {
      loss += batch.addGradient(objective, weightsByKey, gradientByKey);
    }
    for (int k = 0; k < keys.length; k++) {
      System.arraycopy(gradientByKey, keys[k] * columns, gradient, k * columns, columns);
    }
    return loss;
  }

  /**
   * One pass of AdaGrad over the rows of {@code partitions} from zeros, a row at a time, as a shard would step a new
   * model pushed one row's gradient at a time, its L2 penalty every weight's at every push ({@link
   * LinearGradient#adagradPass}). Writes the model into {@code model} (the values of {@link #keys}) as a read of the
   * whole model would find it after the pass; returns the rows' summed loss, each row's before its own step.
   */
  public double adagradPass(int[] partitions, LinearObjective objective, float learningRate, float l2,
      float[] model) {
    spread(partitions, 1, new float[keys(partitions).length]);
    float[] squares = new float[weightsByKey.length];
    int[] penalisedAt = new int[weightsByKey.length];
    double loss = 0;
    int steps = 0;
    for (FullBatch batch : batches) {
      loss += batch.adagradPass(objective, weightsByKey, squares, penalisedAt, steps, learningRate, l2);
      steps += (int) batch.rows();
    }
    for (int k = 0; k < keys.length; k++) {
      model[k] = LinearGradient.penalised(weightsByKey, squares, penalisedAt, keys[k], steps, learningRate, l2);
    }
    return loss;
  }

  /**
   * Plans a pass over {@code partitions} and spreads {@code weights}, the values of their {@link #keys}, {@code
   * columns} a key, over the arrays indexed by key, the gradient's zeroed: only the union's keys are read and summed
   * into, so the rest of the arrays may hold anything.
   */
  private void spread(int[] partitions, int columns, float[] weights) {
    plan(partitions);
    int size = (batches[0].biasKey() + 1) * columns;
    if (weightsByKey.length != size) {
      weightsByKey = new float[size];
      gradientByKey = new float[size];
    }
    for (int k = 0; k < keys.length; k++) {
      int at = keys[k] * columns;
      for (int c = 0; c < columns; c++) {
        weightsByKey[at + c] = weights[k * columns + c];
        gradientByKey[at + c] = 0;
      }
    }
  }

  /** Each key's sum of squared values over the rows of {@code partitions} into {@code sums}, as {@link #keys} lays out. */
  public void squares(int[] partitions, float[] sums) {
    plan(partitions);
    float[] byKey = new float[batches[0].biasKey() + 1];
    for (FullBatch batch : batches) {
      batch.addSquares(byKey);
    }
    for (int k = 0; k < keys.length; k++) {
      sums[k] = byKey[keys[k]];
    }
  }

  private FullBatch batch(int p) {
    FullBatch batch = held.get(p);
    if (batch == null) {
      throw new IllegalArgumentException("partition " + p + " is not held here; held: " + held.keySet());
    }
    return batch;
  }

  /** Works out the union of the keys of {@code partitions}, unless it is the one worked out last. */
  private void plan(int[] partitions) {
    if (Arrays.equals(planned, partitions)) {
      return;
    }
    FullBatch[] chosen = new FullBatch[partitions.length];
    for (int i = 0; i < partitions.length; i++) {
      chosen[i] = batch(partitions[i]);
    }
    if (chosen.length == 1) {
      keys = chosen[0].keys();
    } else {
      FullBatch.KeySet union = new FullBatch.KeySet(chosen[0].biasKey());
      for (FullBatch batch : chosen) {
        union.addAll(batch.keys(), batch.keys().length);
      }
      keys = union.toArray();
    }
    batches = chosen;
    planned = partitions.clone();
  }
}
