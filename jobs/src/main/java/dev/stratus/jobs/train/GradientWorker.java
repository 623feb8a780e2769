package dev.stratus.jobs.train;

import dev.stratus.kernels.sgd.LinearObjective;
import dev.stratus.kernels.solve.HeldPartitions;
import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.PsException;
import dev.stratus.ps.ShardUnreachableException;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker of an {@link Solver#LBFGS} training: it holds its partitions in memory and serves the driver's {@link
 * GradientRounds}, each a pass over the partitions the round assigns it at the round's point, until the driver asks
 * every worker to stop, a round leaves it out, or its generation's time is up. Between rounds it waits for the
 * round's key to change, a wait the shard answers when the driver writes it ({@link PsClient#awaitChange}), and
 * serves a new round as the wait returned it; it reads the stop key at least every {@link #LOOK_MILLIS}; while a round gives it no partitions it stands by, having said
 * it is ready.
 *
 * <p>It holds no state the job needs: a successor serves the rounds after this one's; a round this one left half done
 * when it died is begun again by the driver under a new number.
 */
public final class GradientWorker {
  private static final Logger LOG = LoggerFactory.getLogger(GradientWorker.class);
  /** The longest a worker between rounds goes without looking whether it is to stop. */
  static final int LOOK_MILLIS = 50;

  private final PsClient ps;
  private final String model;
  private final int worker;
  private final int generation;
  private final LinearObjective objective;
  private final HeldPartitions rows;
  private final ModelSpec roundSpec;
  private final ComputeClock clock;
  /** Opens a client of the shards a round was placed over, when not the job's. */
  private final Function<List<InetSocketAddress>, PsClient> connect;
  /** The client of the shards the last round placed elsewhere was on; null: none yet. */
  private PsClient placed;
  private List<InetSocketAddress> placedShards = List.of();
  private int rounds;

  GradientWorker(PsClient ps, String model, int worker, int generation, LinearObjective objective, HeldPartitions rows,
      ModelSpec roundSpec, ComputeClock clock, Function<List<InetSocketAddress>, PsClient> connect) {
    this.ps = ps;
    this.connect = connect;
    this.model = model;
    this.worker = worker;
    this.generation = generation;
    this.objective = objective;
    this.rows = rows;
    this.roundSpec = roundSpec;
    this.clock = clock;
  }

  /**
   * Serves rounds until the driver asks every worker to stop, a round leaves this worker out, or {@code stop} says so,
   * between rounds.
   */
  void run(BooleanSupplier stop) throws Exception {
    try {
      serveRounds(stop);
    } finally {
      if (placed != null) {
        placed.close();
      }
    }
  }

  private void serveRounds(BooleanSupplier stop) throws Exception {
    List<String> watched = List.of(GradientRounds.roundKey(model), WorkerCheckpoints.stopKey(model));
    int served = -1;
    boolean saidReady = false;
    byte[] changed = null; // the round key as the last wait returned it, new: looked at without reading it again
    while (!stop.getAsBoolean()) {
      byte[] roundKey = changed;
      changed = null;
      if (roundKey == null) {
        List<byte[]> values = ps.multiGet(watched).get(30, TimeUnit.SECONDS);
        if (WorkerCheckpoints.stops(values.get(1), worker)) {
          return;
        }
        roundKey = values.get(0);
      }
      GradientRounds.Round round = GradientRounds.decodeRound(roundKey);
      int[] assigned = round.number() < 0 ? new int[0] : round.partitionsOf(worker);
      if (assigned == null) {
        return; // the driver took this worker away
      }
      if (assigned.length > 0 && round.number() > served) {
        // a predecessor that handed over after serving the round this generation finds first counted its rows there
        boolean servedBefore = served < 0
            && ps.get(GradientRounds.resultKey(model, round.number(), worker)).get(30, TimeUnit.SECONDS) != null;
        served = round.number();
        if (!servedBefore) {
          serve(round);
        }
      } else {
        if (assigned.length == 0 && !saidReady) {
          ps.put(GradientRounds.readyKey(model, worker), Integer.toString(generation).getBytes(StandardCharsets.UTF_8))
              .get(30, TimeUnit.SECONDS);
          saidReady = true;
        }
        byte[] now = ps.awaitChange(watched.get(0), roundKey, LOOK_MILLIS)
            .get(LOOK_MILLIS + 30_000, TimeUnit.MILLISECONDS);
        // a new round is served at once; the stop key is read whenever the wait ran out or a round was served
        changed = Arrays.equals(now, roundKey) ? null : now;
      }
    }
  }

  /**
   * What a generation logs at DEBUG when it has served a round: fault-injection tests wait for it to kill a worker in
   * the middle of a solve.
   */
  public static String servedLine(int worker, int generation) {
    return "worker " + worker + " generation " + generation + " served a gradient round";
  }

  /** The client of the shards {@code round}'s models live on: the job's, or those the driver placed it over. */
  private PsClient clientOf(GradientRounds.Round round) {
    if (round.shards().isEmpty()) {
      return ps;
    }
    if (!round.shards().equals(placedShards)) {
      if (placed != null) {
        placed.close();
      }
      placed = connect.apply(round.shards());
      placedShards = round.shards();
    }
    return placed;
  }

  private void record(int round, byte[] result) throws Exception {
    ps.put(GradientRounds.resultKey(model, round, worker), result).get(30, TimeUnit.SECONDS);
  }

  /** Rounds this worker computed. */
  int rounds() {
    return rounds;
  }

  /**
   * One pass: pulls the point's values of every key the rows touch, computes their summed gradient (or, in a
   * squares round, each key's sum of squares; in an SGD start, the model after a pass of AdaGrad times the rows),
   * pushes it, and records the summed loss once the push is in. A call that a shard failed (its connection lost, or
   * the round's models gone with a restart) abandons the round, which the worker records for the driver to begin it
   * again; a round the driver left meanwhile is dropped.
   */
  private void serve(GradientRounds.Round round) throws Exception {
    long started = System.nanoTime();
    int number = round.number();
    int[] partitions = round.partitionsOf(worker);
    for (int p : partitions) {
      if (!rows.holds(p)) {
        record(number, GradientRounds.encodeAbandoned("worker " + worker + " was given partition " + p
            + ", which it does not hold"));
        return;
      }
    }
    PsClient models = clientOf(round);
    PsModel point = models.model(GradientRounds.pointModel(model, number), roundSpec, round.pointIds());
    PsModel gradient = models.model(GradientRounds.gradientModel(model, number), roundSpec, round.gradientIds());
    int[] keys = rows.keys(partitions);
    long rowCount = rows.rows(partitions);
    ComputeClock.Took took = new ComputeClock.Took(0, 0, 0);
    try {
      float[] sums;
      if (round.kind() == GradientRounds.Kind.SQUARES) {
        sums = new float[keys.length * roundSpec.cols()];
        float[] squares = new float[keys.length];
        rows.squares(partitions, squares);
        for (int k = 0; k < keys.length; k++) {
          Arrays.fill(sums, k * roundSpec.cols(), (k + 1) * roundSpec.cols(), squares[k]);
        }
      } else if (round.kind() == GradientRounds.Kind.SGD_START) {
        float[] model = new float[keys.length];
        took = clock.time(rowCount,
            () -> rows.adagradPass(partitions, objective, round.learningRate(), round.l2(), model));
        for (int i = 0; i < model.length; i++) {
          model[i] *= rowCount; // summed over the workers, then divided by all their rows: the models' mean
        }
        sums = model;
      } else {
        float[] weights = models.pull(point, keys).get(60, TimeUnit.SECONDS);
        float[] into = new float[weights.length];
        took = clock.time(rowCount, () -> rows.gradient(partitions, objective, weights, into));
        sums = into;
      }
      for (int i = 0; i < sums.length; i++) {
        sums[i] = -sums[i]; // the shard's step subtracts what it is pushed
      }
      models.push(gradient, keys, sums).get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof PsException) || e.getCause() instanceof ShardUnreachableException) {
        throw e;
      }
      if (GradientRounds.decodeRound(ps.get(GradientRounds.roundKey(model)).get(30, TimeUnit.SECONDS)).number()
          == number) {
        record(number, GradientRounds.encodeAbandoned("worker " + worker + ": " + e.getCause().getMessage()));
      }
      return;
    }
    record(number, GradientRounds.encodeResult(took.value(), rowCount, (System.nanoTime() - started) / 1e9,
        took.wallSeconds(), took.cpuSeconds()));
    rounds++;
    LOG.debug("{}: round {}", servedLine(worker, generation), number);
  }
}
