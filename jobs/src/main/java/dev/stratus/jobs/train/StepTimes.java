package dev.stratus.jobs.train;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Time spent in each of the paper's four steps of a worker iteration. Keeps the total of each step and a bounded
 * sample of recent iterations for medians, so a long run costs constant memory.
 */
public final class StepTimes implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The four steps of an iteration, in order. */
  public enum Step {
    GET_MODEL,
    GET_MINIBATCH,
    COMPUTE_GRADIENT,
    SEND_GRADIENT
  }

  private static final int SAMPLES = 4096;

  private final long[] totalNanos = new long[Step.values().length];
  private final long[][] samples = new long[Step.values().length][SAMPLES];
  private long iterations;

  /** Records one iteration's four durations, in {@link Step} order. */
  public void record(long getModel, long getMinibatch, long compute, long send) {
    int at = (int) (iterations % SAMPLES);
    add(Step.GET_MODEL, getModel, at);
    add(Step.GET_MINIBATCH, getMinibatch, at);
    add(Step.COMPUTE_GRADIENT, compute, at);
    add(Step.SEND_GRADIENT, send, at);
    iterations++;
  }

  private void add(Step step, long nanos, int at) {
    totalNanos[step.ordinal()] += nanos;
    samples[step.ordinal()][at] = nanos;
  }

  /** Rebuilds the times another process recorded ({@code samples}: the recent ones of each step, oldest first). */
  static StepTimes of(long iterations, long[] totalNanos, long[][] samples) {
    StepTimes times = new StepTimes();
    times.iterations = iterations;
    System.arraycopy(totalNanos, 0, times.totalNanos, 0, times.totalNanos.length);
    for (int s = 0; s < times.samples.length; s++) {
      System.arraycopy(samples[s], 0, times.samples[s], 0, Math.min(SAMPLES, samples[s].length));
    }
    return times;
  }

  long[] totalNanos() {
    return totalNanos.clone();
  }

  /** Each step's recorded samples (up to 4096 each). */
  long[][] samples() {
    int n = (int) Math.min(iterations, SAMPLES);
    long[][] recorded = new long[samples.length][];
    for (int s = 0; s < samples.length; s++) {
      recorded[s] = Arrays.copyOf(samples[s], n);
    }
    return recorded;
  }

  public long iterations() {
    return iterations;
  }

  public double meanMillis(Step step) {
    return iterations == 0 ? 0 : totalNanos[step.ordinal()] / 1e6 / iterations;
  }

  /** Median over the most recent iterations (up to 4096). */
  public double medianMillis(Step step) {
    int n = (int) Math.min(iterations, SAMPLES);
    if (n == 0) {
      return 0;
    }
    long[] sorted = Arrays.copyOf(samples[step.ordinal()], n);
    Arrays.sort(sorted);
    return sorted[n / 2] / 1e6;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StepTimes t
        && iterations == t.iterations
        && Arrays.equals(totalNanos, t.totalNanos)
        && Arrays.deepEquals(samples, t.samples);
  }

  @Override
  public int hashCode() {
    return 31 * Long.hashCode(iterations) + Arrays.hashCode(totalNanos);
  }

  /** Adds another worker's times into this one (totals add; samples are pooled up to the bound). */
  public void merge(StepTimes other) {
    for (int s = 0; s < totalNanos.length; s++) {
      totalNanos[s] += other.totalNanos[s];
    }
    int n = (int) Math.min(other.iterations, SAMPLES);
    for (int i = 0; i < n; i++) {
      int at = (int) ((iterations + i) % SAMPLES);
      for (int s = 0; s < samples.length; s++) {
        samples[s][at] = other.samples[s][i];
      }
    }
    iterations += other.iterations;
  }
}
