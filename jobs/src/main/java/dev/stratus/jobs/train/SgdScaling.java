package dev.stratus.jobs.train;

import java.util.Locale;

/**
 * How many workers an SGD training with no count set uses, decided from the update rate the shards count: it doubles
 * the count while the rate grows nearly in proportion.
 *
 * <p>Once every worker of the count now has begun (recorded a position), it lets {@value #WARM_UP_SECONDS} s pass
 * (their JIT, their first partitions), measures the rate over {@value #MEASURE_SECONDS} s, and asks for twice the
 * workers (at most {@code most}), each sharing the partitions of one before it. Once those have all begun and warmed up
 * it measures again: at least {@value #PAYS} times the rate keeps them (and doubles again); less takes them away, and
 * the count settles. Asynchronous SGD's updates are all alike, so their rate is the measure: where workers wait for a
 * core, or the shards saturate, it stops growing, and that stops the doubling.
 */
final class SgdScaling {
  /** After a count's workers have all begun, before its rate counts: their JIT and first partitions slow them. */
  static final double WARM_UP_SECONDS = 2;
  /** How long a count's rate is measured: several of the driver's evaluations, which it is read at. */
  static final double MEASURE_SECONDS = 3;
  /**
   * Twice the workers must make at least this many times the updates a second (three quarters of twice), or they go:
   * more asynchronous workers also mean staler models, which only a rate that grows nearly in proportion pays for.
   */
  static final double PAYS = 1.5;

  /** What the driver is to do after an evaluation. */
  enum Action {
    NONE,
    /** Start workers up to {@link #workers()}, each reading the partitions of the one {@code workers() / 2} before. */
    GROW,
    /** Take away the workers from {@link #workers()} on: the doubling did not pay. The count settles. */
    SHRINK,
    /** The count settles where it is (at the most allowed). */
    SETTLED
  }

  private final int most;
  /** The count kept: measured, or the one it started at. */
  private int kept;
  /** The workers running now: {@link #kept}, or twice it on trial. */
  private int running;
  private double keptRate;
  /** When every one of {@link #running} had begun; NaN before. */
  private double begunAt = Double.NaN;
  /** Where the measuring window began; NaN before it did. */
  private double windowFrom = Double.NaN;
  private long windowUpdates;
  private boolean settled;
  private String reason = "";

  /** Starting at {@code workers}, at most {@code most}. */
  SgdScaling(int workers, int most) {
    this.kept = workers;
    this.running = workers;
    this.most = most;
    this.settled = workers * 2 > most;
  }

  /** The workers to run. */
  int workers() {
    return running;
  }

  boolean settled() {
    return settled;
  }

  /** Why the last action. */
  String reason() {
    return reason;
  }

  /** Whether it waits to hear that every worker of {@link #workers()} has begun ({@link #begun}). */
  boolean waitingForWorkers() {
    return !settled && Double.isNaN(begunAt);
  }

  /** Every worker of {@link #workers()} had begun at {@code seconds}. */
  void begun(double seconds) {
    if (Double.isNaN(begunAt)) {
      begunAt = seconds;
    }
  }

  /** The training had made {@code updates} at {@code seconds}, from its start: what the driver is to do now. */
  Action observe(double seconds, long updates) {
    if (settled || Double.isNaN(begunAt) || seconds < begunAt + WARM_UP_SECONDS) {
      return Action.NONE;
    }
    if (Double.isNaN(windowFrom)) {
      windowFrom = seconds;
      windowUpdates = updates;
      return Action.NONE;
    }
    if (updates < windowUpdates) { // a shard restarted from a snapshot: its count went back
      windowFrom = seconds;
      windowUpdates = updates;
      return Action.NONE;
    }
    if (seconds < windowFrom + MEASURE_SECONDS) {
      return Action.NONE;
    }
    double rate = (updates - windowUpdates) / (seconds - windowFrom);
    if (running == kept) {
      keptRate = rate;
      return tryDoubling(String.format(Locale.ROOT, "%,.0f updates/s at %d", rate, kept));
    }
    String measured = String.format(Locale.ROOT, "%,.0f updates/s at %d against %,.0f at %d (%.2fx)", rate, running,
        keptRate, kept, rate / keptRate);
    if (rate >= PAYS * keptRate) {
      kept = running;
      keptRate = rate;
      return tryDoubling(measured);
    }
    running = kept;
    settled = true;
    reason = String.format(Locale.ROOT, "%s, short of %.1fx", measured, PAYS);
    return Action.SHRINK;
  }

  private Action tryDoubling(String measured) {
    if (kept * 2 > most) {
      settled = true;
      reason = String.format(Locale.ROOT, "%s, and %d is the most", measured, most);
      return Action.SETTLED;
    }
    running = kept * 2;
    begunAt = Double.NaN;
    windowFrom = Double.NaN;
    reason = String.format(Locale.ROOT, "%s; trying %d, kept if they make %.1fx the updates a second", measured,
        running, PAYS);
    return Action.GROW;
  }
}
