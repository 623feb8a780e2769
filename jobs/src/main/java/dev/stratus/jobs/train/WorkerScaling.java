package dev.stratus.jobs.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How many workers an {@link Solver#LBFGS} training with no count set uses, decided from what its gradient rounds
 * take: it doubles the count it started at while a pass's time falls nearly in proportion.
 *
 * <p>After {@value #SAMPLES} rounds at a count it asks for twice the workers (up to one per partition) if the busiest
 * worker's part is most of a pass, mostly computing rather than pulling and pushing, and halving it would save, over
 * {@value #PAYBACK_PASSES} passes, more than twice what starting the job's workers took. Once they have read their
 * partitions (rounds meanwhile count for nothing: the reading slows them), it measures {@value #SAMPLES} rounds at the
 * old count again, gives the new workers their partitions, and measures as many at the new count. The busiest worker's
 * part at most {@value #KEEP_RATIO} of what it was, with the workers computing on a core at least {@value
 * #SIDE_BY_SIDE} of the time (their CPU time over wall time), keeps them (and may double again); else the new workers
 * are taken away and the count settles, their partitions going back to the workers that still hold them.
 *
 * <p>On a machine of few cores the doubling past its cores is where workers start to wait for one, and that stops it;
 * on a service that gives each worker a core of its own it goes on until the shards (the workers' pulls and pushes) or
 * the driver's share of a pass dominate.
 *
 * <p>Where the shards are what a pass waits on (the busiest worker's part is most of a pass, and it pulls and pushes
 * half its part or more), or what
 * made a doubling fail (its pulls and pushes grew, and now outweigh its compute or without that growth its part would
 * have paid), and the driver may start more, it asks for twice
 * the shards, over which the rounds after are sliced; the count it was at, or the doubling's trial, is measured again
 * there. Twice the shards that do not cut the pulls and pushes by a quarter (or a trial that fails again) go back to
 * as many as before, and the count settles.
 *
 * <p>A settled count is measured again when told that more workers may run than when it settled ({@link #reopen}): a
 * search's experiments share the service's concurrency and this machine's cores, and once fewer of them run (its later
 * rungs), each one left may grow into what the others used.
 */
final class WorkerScaling {
  /** Gradient rounds judged at each count: a line search's rounds all cost a pass. */
  static final int SAMPLES = 3;
  /**
   * The busiest worker's compute a pass at twice the workers must take at most this share of what it took before, or
   * the count goes back: the workers' share of a pass is what more of them shorten, and where they wait for a core it
   * does not shrink.
   */
  static final double KEEP_RATIO = 0.75;
  /**
   * Below this share of their computing's wall time on a core, the workers wait for cores: more of them would only
   * wait longer.
   */
  static final double SIDE_BY_SIDE = 0.75;
  /** Below this share of a pass in the busiest worker's compute, more workers could not make the pass much faster. */
  static final double COMPUTE_BOUND = 0.5;
  /**
   * At or above this share of the busiest worker's part in pulling the point and pushing its sums, the shards (or the
   * way to them) are what a pass waits on: more workers would only add to their load.
   */
  static final double SHARD_BOUND = 0.5;
  /** Why a training whose shards the user set gets no more, for the console. */
  static final String FIXED_SHARDS = "the shards were set (psShards): more would have to be set";
  /** Twice the shards must cut the busiest worker's pulls and pushes to at most this share, or they settle. */
  static final double RESHARD_KEEP_RATIO = 0.75;
  /**
   * Passes a doubling must pay for itself within: the time it would save over them (half the busiest worker's compute
   * a pass) must exceed twice what starting the workers took (a solve's penalty takes tens of passes; new workers that
   * read their data beside running ones slow them, and their trial costs rounds too).
   */
  static final int PAYBACK_PASSES = 20;

  /** What the driver is to do after a round. */
  enum Action {
    /** Nothing. */
    NONE,
    /** Start {@link #target} workers' worth, the new ones standing by until they have read their partitions. */
    GROW,
    /** Give the new workers, all ready, their partitions; then {@link #grown}. */
    SWITCH,
    /** Take the new workers away: their count did not pay; then {@link #shrunk}. */
    SHRINK
  }

  private enum Phase {
    /** Rounds at the count now, to decide whether to double. */
    MEASURING,
    /** New workers are reading their partitions; rounds now are slowed by it and count for nothing. */
    WAITING,
    /** New workers are ready: rounds at the old count again, for the comparison, undisturbed by their reading. */
    BASELINE,
    /** The new workers were given partitions: rounds at the new count, compared with the baseline. */
    TRIAL,
    /** More shards are starting; the rounds stay where they are and count for nothing. */
    STARTING_SHARDS,
    /**
     * The rounds were placed over more shards, just started: as many rounds as are measured count for nothing while
     * they warm up (a new JVM's first calls run its code cold), then the phase before goes on.
     */
    WARMING,
    SETTLED
  }

  private final int most;
  private final int mostShards;
  /** Why no more shards than {@link #mostShards}, for the console. */
  private final String noMoreShards;
  private int shards;
  /** The shards before the last doubling of them. */
  private int shardsBefore;
  /** The busiest worker's pulls and pushes a pass before the last doubling of the shards; NaN: none to judge. */
  private double exchangeBeforeReshard = Double.NaN;
  /** Whether the trial now running had its shards doubled: it is judged once more, then settles. */
  private boolean trialResharded;
  private int workers;
  /** The count before the last doubling. */
  private int previousCount;
  private int target;
  private Phase phase;
  /** The phase {@link Phase#STARTING_SHARDS} and {@link Phase#WARMING} go back to. */
  private Phase warmed;
  private int warmingRounds;
  /** The busiest worker's part of a pass, in the baseline's rounds. */
  private final List<Double> baseline = new ArrayList<>();
  /** Of which its compute. */
  private final List<Double> baselineCompute = new ArrayList<>();
  /** Each round's time, since the phase began. */
  private final List<Double> now = new ArrayList<>();
  /** Each round's busiest worker's part, since the phase began. */
  private final List<Double> busiest = new ArrayList<>();
  /** Of which its compute (the rest it pulled and pushed). */
  private final List<Double> busiestCompute = new ArrayList<>();
  /** Each round's workers' CPU time over wall time while computing, since the phase began. */
  private final List<Double> coreShares = new ArrayList<>();
  private String reason = "";
  /** Why a settled count is measured again ({@link #reopen}), before the reason of what that decides; or "". */
  private String reopenedFor = "";
  /** How long the job took from its start to its first round's sums: what starting workers costs, at most. */
  private double startupSeconds = Double.NaN;

  /** Scaling workers alone, on shards the user set. */
  WorkerScaling(int workers, int most) {
    this(workers, most, 1, 1, FIXED_SHARDS);
  }

  /**
   * @param workers the count it starts at
   * @param most the count it never passes (one per partition, say)
   * @param shards the shards the rounds are on at the start
   * @param mostShards the shards it never asks for more than
   * @param noMoreShards why not more than {@code mostShards}, for the console
   */
  WorkerScaling(int workers, int most, int shards, int mostShards, String noMoreShards) {
    this.workers = workers;
    this.most = most;
    this.shards = shards;
    this.mostShards = mostShards;
    this.noMoreShards = noMoreShards;
    this.phase = workers >= most ? Phase.SETTLED : Phase.MEASURING;
  }

  /**
   * A round came back {@code seconds} after the job's start; the first of them tells what starting the workers and
   * reading their data took.
   */
  void roundCameBackAt(double seconds) {
    if (Double.isNaN(startupSeconds)) {
      startupSeconds = seconds;
    }
  }

  /** The workers summing now. */
  int workers() {
    return workers;
  }

  /** The count a {@link Action#GROW} asks for, or a {@link Action#SHRINK} goes back to. */
  int target() {
    return target;
  }

  /**
   * The shards the rounds are to be over: twice as many after rounds found them saturated (the driver starts them
   * while the rounds go on, then tells {@link #shardsStarted}), as many as before again where that did not help (the
   * driver places the next round there); each change with its {@link #reason}.
   */
  int shards() {
    return shards;
  }

  /** Why the last change or settling was decided, for the console. */
  String reason() {
    return reason;
  }

  /** Whether the count is settled: no more doubling. */
  boolean settled() {
    return phase == Phase.SETTLED;
  }

  /**
   * A gradient round with {@link #workers} summing took {@code seconds} from its beginning to its sums, its busiest
   * worker {@code busiestSeconds} of them, {@code busiestComputeSeconds} of those computing (the rest pulling and
   * pushing); the workers computed on a core {@code coreShare} of their computing's time.
   */
  Action observe(double seconds, double busiestSeconds, double busiestComputeSeconds, double coreShare) {
    if (phase == Phase.SETTLED || phase == Phase.WAITING || phase == Phase.STARTING_SHARDS) {
      return Action.NONE;
    }
    if (phase == Phase.WARMING) {
      if (++warmingRounds >= SAMPLES) {
        phase = warmed;
      }
      return Action.NONE;
    }
    now.add(seconds);
    busiest.add(busiestSeconds);
    busiestCompute.add(busiestComputeSeconds);
    coreShares.add(coreShare);
    if (now.size() < SAMPLES) {
      return Action.NONE;
    }
    double pass = median(now);
    double part = median(busiest);
    double compute = median(busiestCompute);
    double exchange = Math.max(0, part - compute);
    double onCores = median(coreShares);
    if (phase == Phase.BASELINE) {
      baseline.clear();
      baseline.addAll(busiest);
      baselineCompute.clear();
      baselineCompute.addAll(busiestCompute);
      restart();
      return Action.SWITCH;
    }
    if (phase == Phase.TRIAL) {
      double before = median(baseline);
      double exchangeBefore = Math.max(0, before - median(baselineCompute));
      if (part > before * KEEP_RATIO || onCores < SIDE_BY_SIDE) {
        // the shards are to blame where the pulls and pushes grew and now outweigh the compute, or where, had they
        // not grown, the part would have paid
        boolean shardsSaturate = onCores >= SIDE_BY_SIDE && exchange > exchangeBefore
            && (exchange > compute || compute + exchangeBefore <= before * KEEP_RATIO);
        String measured = onCores < SIDE_BY_SIDE
            ? String.format(Locale.ROOT, "with %d workers they computed on a core only %.0f%% of the time, waiting for"
                + " cores", workers, 100 * onCores)
            : String.format(Locale.ROOT, "the busiest worker took %.3f s a pass with %d workers against %.3f s with %d,"
                + " not %.0f%% less", part, workers, before, previousCount, 100 * (1 - KEEP_RATIO))
                + (shardsSaturate
                    ? String.format(Locale.ROOT, ": its pulls and pushes took %.3f s against %.3f s, the shards"
                        + " saturate", exchange, exchangeBefore)
                    : "");
        if (shardsSaturate && !trialResharded && shards < mostShards) {
          // the trial's workers stay: judged again once their pulls and pushes are spread over more shards
          trialResharded = true;
          return reshard(exchange, measured);
        }
        reason = measured + (!shardsSaturate ? ""
            : trialResharded ? String.format(Locale.ROOT, ", over %d shards as over %d", shards, shardsBefore)
            : "; " + noMoreShards);
        if (trialResharded) {
          shards = shardsBefore;
        }
        target = previousCount;
        phase = Phase.SETTLED;
        return Action.SHRINK;
      }
      exchangeBeforeReshard = Double.NaN; // the trial paid, more shards included
    }
    if (!Double.isNaN(exchangeBeforeReshard)) {
      double before = exchangeBeforeReshard;
      exchangeBeforeReshard = Double.NaN;
      if (exchange > RESHARD_KEEP_RATIO * before) {
        reason = String.format(Locale.ROOT, "with %d shards the busiest worker's pulls and pushes took %.3f s a pass"
            + " against %.3f s with %d, not %.0f%% less: more shards do not help", shards, exchange, before,
            shardsBefore, 100 * (1 - RESHARD_KEEP_RATIO));
        shards = shardsBefore;
        phase = Phase.SETTLED;
        return Action.NONE;
      }
    }
    double share = Math.min(1, part / pass);
    double saving = PAYBACK_PASSES * pass * share / 2;
    boolean shardBound = exchange >= SHARD_BOUND * part;
    if (shardBound && onCores >= SIDE_BY_SIDE && share >= COMPUTE_BOUND && shards < mostShards) {
      return reshard(exchange, String.format(Locale.ROOT, "the busiest worker spent %.3f s of its %.3f s a pass"
          + " pulling and pushing, the shards saturate", exchange, part));
    }
    if (workers >= most || onCores < SIDE_BY_SIDE || shardBound || share < COMPUTE_BOUND
        || saving < 2 * startupSeconds) {
      reason = reopened(workers >= most
          ? String.format(Locale.ROOT, "a worker per partition (%d), a pass %.3f s", most, pass)
          : onCores < SIDE_BY_SIDE
              ? String.format(Locale.ROOT, "the workers computed on a core only %.0f%% of the time, waiting for cores"
                  + " already", 100 * onCores)
          : share < COMPUTE_BOUND
              ? String.format(Locale.ROOT, "the busiest worker's part is only %.0f%% of a pass's %.3f s", 100 * share,
                  pass)
          : shardBound
              ? String.format(Locale.ROOT, "the busiest worker spent %.3f s of its %.3f s a pass pulling and pushing,"
                  + " the shards saturate; %s", exchange, part, noMoreShards)
              : String.format(Locale.ROOT, "twice the workers would save at most %.1f s over %d passes of %.3f s,"
                  + " less than twice the %.1f s it took to start them", saving, PAYBACK_PASSES, pass, startupSeconds));
      phase = Phase.SETTLED;
      return Action.NONE;
    }
    target = Math.min(most, 2 * workers);
    reason = reopened(String.format(Locale.ROOT, "a pass took %.3f s, %.0f%% of it the busiest worker's part (%.3f s"
        + " computing)", pass, 100 * share, compute));
    phase = Phase.WAITING;
    restart();
    return Action.GROW;
  }

  /**
   * Asks for twice the shards (at most {@link #mostShards}) because of {@code why}, the busiest worker's pulls and
   * pushes taking {@code exchange} a pass; the rounds at the same workers are measured again once they have started
   * ({@link #shardsStarted}) and warmed up.
   */
  private Action reshard(double exchange, String why) {
    shardsBefore = shards;
    shards = Math.min(mostShards, 2 * shards);
    exchangeBeforeReshard = exchange;
    reason = reopened(why);
    warmed = phase;
    phase = Phase.STARTING_SHARDS;
    restart();
    return Action.NONE;
  }

  /** The shards {@link #shards} asked for did not start, for {@code why}: back to as many as before, settled. */
  void shardsNotStarted(String why) {
    shards = shardsBefore;
    reason = "more shards did not start: " + why;
    phase = Phase.SETTLED;
  }

  /** The shards {@link #shards} asked for started, and the rounds from the next on are over them. */
  void shardsStarted() {
    if (phase == Phase.STARTING_SHARDS) {
      phase = Phase.WARMING;
      warmingRounds = 0;
    }
  }

  /** Whether workers it asked for are still reading their partitions, not yet summing. */
  boolean waitingForNew() {
    return phase == Phase.WAITING;
  }

  /**
   * The service refused calls of workers (Lambda's 429s: its concurrency used up), so it runs fewer at once than
   * asked: the count is {@code count} from now on, settled, for {@code why}.
   */
  void refused(int count, String why) {
    workers = count;
    target = count;
    reason = why;
    phase = Phase.SETTLED;
  }

  /**
   * More workers may run now than when the count settled, for {@code why} (a search's other experiments ended, their
   * workers' places free): unless it is at the most, the count is measured again from the next round, as at the start,
   * and may double; {@code why} heads the reason of what that decides. Returns whether it will be measured.
   */
  boolean reopen(String why) {
    if (phase != Phase.SETTLED || workers >= most) {
      return false;
    }
    reopenedFor = why + "; ";
    phase = Phase.MEASURING;
    restart();
    return true;
  }

  /** {@code measured}, after why the count was measured again if it was; said once. */
  private String reopened(String measured) {
    String said = reopenedFor + measured;
    reopenedFor = "";
    return said;
  }

  /** The new workers have read their partitions: the old count is measured again before they are given them. */
  void ready() {
    if (phase == Phase.WAITING) {
      phase = Phase.BASELINE;
      restart();
    }
  }

  /**
   * The new workers took their partitions over: rounds from now on are at {@code count} (the {@link #target}, or fewer
   * when some workers had too few partitions to give half of).
   */
  void grown(int count) {
    previousCount = workers;
    workers = count;
    phase = Phase.TRIAL;
    trialResharded = false;
    restart();
  }

  /** The new workers were taken away again: back at the count before. */
  void shrunk() {
    workers = target;
  }

  private void restart() {
    now.clear();
    busiest.clear();
    busiestCompute.clear();
    coreShares.clear();
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }
}
