package dev.stratus.jobs.train;

import java.util.Locale;

/**
 * How many workers an SGD training with no count set uses, decided from the update rate the shards count: it doubles
 * the count while the rate grows nearly in proportion.
 *
 * <p>Once every worker of the count now has begun (recorded a position past its start), it lets {@value
 * #WARM_UP_SECONDS} s pass ({@value #FIRST_WARM_UP_SECONDS} s for the first count and the first on shards just added: the whole training is warming up
 * then, the driver's and the shards' JITs too, and a training shorter than that has no use for more), then measures the rate over windows of {@value #WINDOW_SECONDS} s until one is no more than {@value
 * #CLIMBING} above the one before, the rate no longer climbing (a worker's first seconds are slow: its JIT, its first
 * partitions, a Lambda environment's C1-only code; at most {@value #MOST_SECONDS} s, then the last window counts), and asks for twice the
 * workers (at most {@code most}), each sharing the partitions of one before it. Once those have all begun it measures
 * again the same way: at least {@value #PAYS} times the rate keeps them (and doubles again); less takes them away, and
 * the count settles. Asynchronous SGD's updates are all alike, so their rate is the measure: where workers wait for a
 * core, or the shards saturate, it stops growing, and that stops the doubling. Each decision says how busy the
 * busiest shard's event loops were ({@link ShardLoad}): at {@value #SATURATED} of their cores or more, the shards are
 * what stopped it, and where it may add shards it asks for twice them instead ({@link Action#SHARDS}), keeping the
 * trial's workers, and measures those again on them against the count kept (the driver moves the model onto them);
 * where it may not, it says how many a training of this model should start with. A worker that dies has its count
 * measured anew once its successor has begun ({@link #workerRestarting}): the gap is no measure of the count.
 */
final class SgdScaling {
  /** After a count's workers have all begun, before its rate counts. */
  static final double WARM_UP_SECONDS = 1;
  /**
   * The same for the count the training starts at: on worker threads here the rate doubled between 6 s and 11 s, the
   * JIT's work, and an earlier measure took that for what twice the workers brought.
   */
  static final double FIRST_WARM_UP_SECONDS = 8;
  /** A window of the rate: several of the driver's evaluations, which it is read at. */
  static final double WINDOW_SECONDS = 1.5;
  /** A window's rate at most this share above the window before's: the rate has stopped climbing. */
  static final double CLIMBING = 0.05;
  /** From its workers' beginning, the longest a count is measured: the last window counts then. */
  static final double MOST_SECONDS = 20;
  /**
   * Twice the workers must make at least this many times the updates a second (three quarters of twice), or they go:
   * more asynchronous workers also mean staler models, which only a rate that grows nearly in proportion pays for.
   */
  static final double PAYS = 1.5;
  /** The busiest shard's loops computing this share of their cores' time or more: the shards saturate. */
  static final double SATURATED = 0.8;

  /** What the driver is to do after an evaluation. */
  enum Action {
    NONE,
    /** Start workers up to {@link #workers()}, each reading the partitions of the one {@code workers() / 2} before. */
    GROW,
    /** Take away the workers from {@link #workers()} on: the doubling did not pay. The count settles. */
    SHRINK,
    /** The count settles where it is (at the most allowed). */
    SETTLED,
    /**
     * The shards saturated: move the model onto {@link #shards()} of them, twice those now, and start the workers of
     * the trial ({@link #workers()}) again there, to be measured again. The driver tells {@link #shardsFailed} when it
     * can not.
     */
    SHARDS
  }

  private final int most;
  private int shards;
  /** The shards the training started on. */
  private final int startShards;
  private final int mostShards;
  /** The busiest shard's share at which the shards count as saturated: {@link #SATURATED} unless set. */
  private double saturated = SATURATED;
  /** Why no more shards than {@link #mostShards}: said where they saturate there. */
  private final String noMoreShards;
  /** The count kept: measured, or the one it started at. */
  private int kept;
  /** The workers running now: {@link #kept}, or twice it on trial. */
  private int running;
  private double keptRate;
  /** Whether the next count measured warms up as long as the first: none was yet, or the model moved onto new shards. */
  private boolean first = true;
  /** When every one of {@link #running} had begun; NaN before. */
  private double begunAt = Double.NaN;
  /** Where the measuring window began; NaN before it did. */
  private double windowFrom = Double.NaN;
  private long windowUpdates;
  /** The shards' load where the window began; null where unknown. */
  private ShardLoad windowLoad;
  /** The busiest shard over the last window ended; null where unknown. */
  private ShardLoad.Busiest busiest;
  /** The window before's rate; NaN before one ended. */
  private double lastRate = Double.NaN;
  private boolean settled;
  private String reason = "";

  /** Starting at {@code workers}, at most {@code most}, on shards the user set. */
  SgdScaling(int workers, int most) {
    this(workers, most, 1, 1, WorkerScaling.FIXED_SHARDS);
  }

  /**
   * Starting at {@code workers}, at most {@code most}, on {@code shards} shards that may double up to {@code
   * mostShards} where they saturate ({@code noMoreShards} says why not past them).
   */
  SgdScaling(int workers, int most, int shards, int mostShards, String noMoreShards) {
    this.kept = workers;
    this.running = workers;
    this.most = most;
    this.shards = shards;
    this.startShards = shards;
    this.mostShards = mostShards;
    this.noMoreShards = noMoreShards;
    this.settled = workers * 2 > most;
  }

  /**
   * Counts the shards saturated from {@code share} of their loops' cores on: for a test on a machine whose shards
   * never saturate before its cores do.
   */
  SgdScaling saturatedAt(double share) {
    this.saturated = share;
    return this;
  }

  /** The workers to run. */
  int workers() {
    return running;
  }

  /** The shards the model is to be on. */
  int shards() {
    return shards;
  }

  /**
   * The shards {@link Action#SHARDS} asked for did not start ({@code why}): the trial's workers go, and the count
   * settles where it was kept, as after any trial that did not pay.
   */
  void shardsFailed(String why) {
    shards /= 2;
    running = kept;
    settled = true;
    reason = String.format(Locale.ROOT, "%d more shards did not start (%s): back to %d workers", shards, why, kept);
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

  /**
   * A worker of {@link #workers()} is starting again, its predecessor dead: the rate meanwhile is not the count's, so
   * the count is measured anew once every worker has begun again ({@link #begun}).
   */
  void workerRestarting() {
    if (!settled) {
      begunAt = Double.NaN;
      windowFrom = Double.NaN;
      lastRate = Double.NaN;
    }
  }

  /**
   * The training had made {@code updates} at {@code seconds}, from its start, its shards' loops were as {@code
   * load} says (null where unknown), and the service refuses {@code refused} of its workers now ({@link
   * WorkerLauncher.Running#refused}): what the driver is to do now. A refusal while workers are on trial means the
   * service runs fewer than them at once, so they go at once, before they are measured.
   */
  Action observe(double seconds, long updates, ShardLoad load, int refused) {
    if (!settled && running > kept && refused > 0) {
      reason = ScalingDecision.refused(refused, running) + ": it runs fewer of them at once";
      running = kept;
      settled = true;
      return Action.SHRINK;
    }
    double warmUp = first ? FIRST_WARM_UP_SECONDS : WARM_UP_SECONDS;
    if (settled || Double.isNaN(begunAt) || seconds < begunAt + warmUp) {
      return Action.NONE;
    }
    // the first window, or a shard restarted from a snapshot, its count gone back
    if (Double.isNaN(windowFrom) || updates < windowUpdates) {
      windowFrom = seconds;
      windowUpdates = updates;
      windowLoad = load;
      return Action.NONE;
    }
    if (seconds < windowFrom + WINDOW_SECONDS) {
      return Action.NONE;
    }
    double windowRate = (updates - windowUpdates) / (seconds - windowFrom);
    busiest = load == null || windowLoad == null ? null : load.busiestSince(windowLoad);
    windowFrom = seconds;
    windowUpdates = updates;
    windowLoad = load;
    boolean steady = windowRate <= lastRate * (1 + CLIMBING);
    if (!steady && seconds < begunAt + MOST_SECONDS) {
      lastRate = windowRate;
      return Action.NONE;
    }
    double rate = steady ? (windowRate + lastRate) / 2 : windowRate;
    lastRate = Double.NaN;
    first = false;
    if (running == kept) {
      keptRate = rate;
      return tryDoubling(String.format(Locale.ROOT, "%,.0f updates/s at %d%s", rate, kept, shardsBusy("")));
    }
    String against = String.format(Locale.ROOT, "%,.0f updates/s at %d against %,.0f at %d", rate, running,
        keptRate, kept);
    String ratio = String.format(Locale.ROOT, "%.2fx", rate / keptRate);
    if (rate >= PAYS * keptRate) {
      kept = running;
      keptRate = rate;
      return tryDoubling(against + " (" + ratio + (busiest == null ? "" : "; " + busy()) + ")");
    }
    reason = String.format(Locale.ROOT, "%s (%s), short of %.1fx", against, ratio, PAYS);
    if (busiest != null && busiest.share() >= saturated && shards * 2 <= mostShards) {
      shards *= 2;
      begunAt = Double.NaN;
      windowFrom = Double.NaN;
      first = true; // the new shards' JIT warms up as the training's first did
      reason += String.format(Locale.ROOT, ": the shards saturate%s; moving the model onto %d and trying %d workers"
          + " there, kept if they make %.1fx the updates a second of %d", shardsBusy(""), shards, running, PAYS, kept);
      return Action.SHARDS;
    }
    running = kept;
    settled = true;
    if (busiest != null && busiest.share() >= saturated) {
      reason += String.format(Locale.ROOT, ": the shards saturate%s, and %s", shardsBusy(""), noMoreShards);
      if (noMoreShards.equals(WorkerScaling.FIXED_SHARDS)) {
        reason += String.format(Locale.ROOT, "; psShards(%d) starts a training of this model with more", shards * 2);
      }
    } else {
      reason += shardsBusy(": not the shards");
      if (shards > startShards) {
        reason += String.format(Locale.ROOT, "; the model stays on %d shards (SGD does not move it back)", shards);
      }
    }
    return Action.SHRINK;
  }

  /** " (shard 0's loops 45% busy{then})" over the last window, or "" where unknown. */
  private String shardsBusy(String then) {
    return busiest == null ? "" : " (" + busy() + then + ")";
  }

  /** "shard 0's loops 45% busy": the busiest shard over the last window, known. */
  private String busy() {
    return String.format(Locale.ROOT, "shard %d's loops %.0f%% busy", busiest.shard(), 100 * busiest.share());
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
    lastRate = Double.NaN;
    reason = String.format(Locale.ROOT, "%s; trying %d, kept if they make %.1fx the updates a second", measured,
        running, PAYS);
    return Action.GROW;
  }
}
