package dev.stratus.ps.server;

import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A well-behaved worker beside the abusers: pulls then pushes minibatch-shaped key sets (about 750 keys of {@code
 * 2^modelBits}), one call at a time, and tells each round's p99 call latency.
 */
public final class WellBehavedWorker {
  private static final int ITERATIONS_PER_ROUND = 250;

  private final PsClient ps;
  private final PsModel model;
  private final int[][] batches = new int[64][];
  private final float[][] gradients = new float[64][];
  private int next;

  public WellBehavedWorker(PsClient ps, PsModel model, int modelBits) {
    this.ps = ps;
    this.model = model;
    Random random = new Random(7);
    for (int b = 0; b < batches.length; b++) {
      batches[b] = random.ints(780, 0, 1 << modelBits).sorted().distinct().toArray();
      gradients[b] = new float[batches[b].length];
      Arrays.fill(gradients[b], 0.001f);
    }
  }

  /** Runs {@code n} rounds of pulls and pushes; each round's p99 call latency, in nanoseconds. */
  public List<Double> rounds(int n) throws Exception {
    List<Double> p99s = new ArrayList<>();
    long[] nanos = new long[2 * ITERATIONS_PER_ROUND];
    for (int round = 0; round < n; round++) {
      for (int i = 0; i < ITERATIONS_PER_ROUND; i++) {
        int b = next++ % batches.length;
        long t0 = System.nanoTime();
        ps.pull(model, batches[b]).get();
        long t1 = System.nanoTime();
        ps.push(model, batches[b], gradients[b]).get();
        nanos[2 * i] = t1 - t0;
        nanos[2 * i + 1] = System.nanoTime() - t1;
      }
      Arrays.sort(nanos);
      p99s.add((double) nanos[(int) (0.99 * nanos.length)]);
    }
    return p99s;
  }

  /** The median of some rounds' p99s. */
  public static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }
}
