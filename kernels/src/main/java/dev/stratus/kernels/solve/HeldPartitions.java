package dev.stratus.kernels.solve;

import dev.stratus.kernels.sgd.Objective;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The partitions a quasi-Newton worker holds, each laid out as a {@link FullBatch} of its own, so that a pass can sum
 * over whichever of them the driver names: a worker keeps what it read while the driver moves partitions to workers
 * added later, and back. A pass over a set of partitions pulls and pushes the union of their keys; the union and where
 * each partition's keys sit in it are worked out once per set.
 */
public final class HeldPartitions {
  private final Map<Integer, FullBatch> held;
  /** The set the plan below is for. */
  private int[] planned;
  private FullBatch[] batches;
  private int[] keys;
  /** For each batch, the position in {@link #keys} of each of its keys; null for a lone batch, whose keys they are. */
  private int[][] positions;

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
    return plan(partitions).keys;
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
  public double gradient(int[] partitions, Objective objective, float[] weights, float[] gradient) {
    HeldPartitions plan = plan(partitions);
    Arrays.fill(gradient, 0, plan.keys.length * objective.columns(), 0f);
    double loss = 0;
    for (int b = 0; b < plan.batches.length; b++) {
      loss += plan.batches[b].addGradient(objective, weights, gradient, plan.positions[b]);
    }
    return loss;
  }

  /** Each key's sum of squared values over the rows of {@code partitions} into {@code sums}, as {@link #keys} lays out. */
  public void squares(int[] partitions, float[] sums) {
    HeldPartitions plan = plan(partitions);
    Arrays.fill(sums, 0, plan.keys.length, 0f);
    for (int b = 0; b < plan.batches.length; b++) {
      plan.batches[b].addSquares(sums, plan.positions[b]);
    }
  }

  private FullBatch batch(int p) {
    FullBatch batch = held.get(p);
    if (batch == null) {
      throw new IllegalArgumentException("partition " + p + " is not held here; held: " + held.keySet());
    }
    return batch;
  }

  /** This, planned for a pass over {@code partitions}. */
  private HeldPartitions plan(int[] partitions) {
    if (Arrays.equals(planned, partitions)) {
      return this;
    }
    FullBatch[] chosen = new FullBatch[partitions.length];
    for (int i = 0; i < partitions.length; i++) {
      chosen[i] = batch(partitions[i]);
    }
    int[] union = chosen.length == 1
        ? chosen[0].keys()
        : Arrays.stream(chosen).flatMapToInt(b -> Arrays.stream(b.keys())).sorted().distinct().toArray();
    int[][] at = new int[chosen.length][];
    for (int b = 0; chosen.length > 1 && b < chosen.length; b++) {
      int[] own = chosen[b].keys();
      at[b] = new int[own.length];
      int u = 0;
      for (int k = 0; k < own.length; k++) {
        while (union[u] != own[k]) {
          u++; // both ascend
        }
        at[b][k] = u;
      }
    }
    batches = chosen;
    keys = union;
    positions = at;
    planned = partitions.clone();
    return this;
  }
}
