package dev.stratus.jobs.train;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.ShardAddress;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * How the driver of an {@link Solver#LBFGS} training has its workers evaluate the objective at a point, through the
 * parameter server: a <em>round</em>. For each round the driver creates two models on the shards, the point, which it
 * writes, and the gradient, zeros, then names the round under one key of the key-value store. Each worker, which
 * watches that key ({@link GradientWorker}), pulls the point's values for its rows' keys, pushes its rows' summed
 * gradient into the gradient model, whose shards add what they are pushed, and records its rows' summed loss under a
 * key of its own. Once every worker has, the driver reads the whole gradient and deletes the round.
 *
 * <p>The round's key also says which worker sums which partitions (its <em>assignment</em>): a worker sums the listed
 * partitions of those it holds; one given none stands by (it has read its partitions and waits to be given some);
 * one marked as taken away returns. So the driver can add workers while the solve runs, giving them partitions once
 * they have read them, and take them away again, their partitions going back to the workers that still hold them.
 *
 * <p>A round's models may live on more shards than the job's key-value store ({@link #placeOver}): the driver
 * re-slices the rounds after this over more shards when the ones they are on saturate, and the key names them.
 *
 * <p>Rounds are never repaired: one a worker died in, or a shard restarted during, is begun again under a new number,
 * so a partial sum is never read and a successor never adds to its predecessor's. Workers reach the round's models
 * by the ids the key carries and never make them, so a shard that restarted without them fails their calls; a worker
 * whose call failed so records the round as abandoned, and the driver begins it again.
 */
final class GradientRounds {
  /**
   * The smooth objective's pieces at a point, summed over every worker's rows, or the squares' sums; with how the
   * workers took it.
   *
   * @param busiestSeconds the longest a worker took over its part, from the round's key to its result
   * @param busiestComputeSeconds of those, the seconds that worker computed (the rest it pulled and pushed)
   * @param coreShare the workers' CPU time over their wall time while computing the gradient (not pulling or
   *     pushing), all workers summed: 1 when each had a core of its own, less when they waited for one; NaN in a
   *     squares round
   */
  record Sums(
      double loss, long rows, float[] gradient, double busiestSeconds, double busiestComputeSeconds,
      double coreShare) {}

  /** What a round asks of the workers. */
  enum Kind {
    /** Their rows' summed loss and gradient at the round's point. */
    GRADIENT,
    /**
     * Each key's sum of squared values over their rows (no point): the shape of the curvature, the solver's
     * preconditioner, asked once before the first gradient.
     */
    SQUARES,
    /**
     * Each worker's model after one pass of AdaGrad over its rows from zeros, a row at a time, at the round's rate and
     * L2 penalty, as the shards step SGD, times its rows: summed, the workers' models averaged by their rows, a start
     * near the optimum for the solver (on the peers benchmark's 900,371 Criteo-shaped rows, two workers' at
     * liblinear's C came within 0.5% of liblinear's test loss, where the solver's first iterate from zeros is 50% above
     * it). No point: the round's point model is left at zeros, unread.
     */
    SGD_START
  }

  /**
   * A round as its key names it, with the ids the shards gave its point and gradient models, and its assignment.
   *
   * @param learningRate AdaGrad's rate in a {@link Kind#SGD_START} round's pass
   * @param l2 its L2 penalty
   * @param shards where its models live: none when on the job's shards (which hold the key), else the shards they
   *     are sliced over
   * @param assignment at index {@code w}, the partitions worker {@code w} sums: none when it stands by (as does every
   *     worker beyond the array, one added since the round began), null when it is to return
   */
  record Round(
      int number, Kind kind, float learningRate, float l2, List<InetSocketAddress> shards, int[] pointIds,
      int[] gradientIds, int[][] assignment) {
    /** What worker {@code w} is to sum; null when it is to return. */
    int[] partitionsOf(int w) {
      return w < assignment.length ? assignment[w] : new int[0];
    }
  }

  /** A worker recorded the round as abandoned: a call of it failed on a shard (lost, restarted without the round). */
  static final class AbandonedException extends Exception {
    AbandonedException(String message) {
      super(message);
    }
  }

  /** The longest the driver goes without a look at the round's reports, with nothing reported meanwhile. */
  static final int REPORT_WAIT_MILLIS = 100;

  private final PsClient ps;
  private final String model;
  private final ModelSpec spec;
  /** Where the next round's models go: the job's shards, or more. */
  private PsClient placing;
  private List<InetSocketAddress> placingShards = List.of();
  /** Where the running round's models are. */
  private PsClient placed;
  private volatile int round = -1;
  private PsModel point;
  private PsModel gradient;
  private int[][] assignment;
  /** The summing workers whose sums the last {@link #collect} did not find. */
  private List<Integer> missing = List.of();
  /**
   * The keys some training row has (ascending), the only ones whose gradient is not zero; null until known, when
   * {@link #collect} reads the whole gradient.
   */
  private int[] touched;
  /** The wait for a worker's report of round {@link #watchedRound}, while {@link #wakeOnReport} has one. */
  private CompletableFuture<byte[]> watching;
  private int watchedRound = -1;

  GradientRounds(PsClient ps, String model, ModelSpec spec) {
    this.ps = ps;
    this.model = model;
    this.spec = spec;
    this.placing = ps;
  }

  /**
   * Places the rounds begun from now on over {@code shards}, which {@code client} reaches (the running round stays
   * where it is until it ends): its models sliced over more shards than the job's.
   */
  void placeOver(PsClient client, List<InetSocketAddress> shards) {
    placing = client;
    placingShards = List.copyOf(shards);
  }

  /**
   * The shards' model of a round's point or gradient over {@code rows} rows of {@code cols} values: zeros, to which a
   * push of {@code -v} adds {@code v} (plain SGD at rate 1, no penalty), never snapshotted (a lost round is begun
   * again).
   */
  static ModelSpec roundSpec(int rows, int cols) {
    return ModelSpec.matrix(rows, cols).optimizer(Optimizer.SGD).learningRate(1).l2(0).initScale(0)
        .snapshotted(false);
  }

  static String roundKey(String model) {
    return model + "/round";
  }

  static String resultKey(String model, int round, int worker) {
    return model + "/round/" + round + "/worker/" + worker;
  }

  static String pointModel(String model, int round) {
    return model + "-point-" + round;
  }

  static String gradientModel(String model, int round) {
    return model + "-gradient-" + round;
  }

  /** The key a worker standing by sets to its generation once it has read its partitions. */
  static String readyKey(String model, int worker) {
    return model + "/ready/" + worker;
  }

  static byte[] encodeRound(Round round) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(round.number());
      out.writeByte(round.kind().ordinal());
      out.writeFloat(round.learningRate());
      out.writeFloat(round.l2());
      out.writeInt(round.pointIds().length);
      for (int s = 0; s < round.pointIds().length; s++) {
        out.writeInt(round.pointIds()[s]);
        out.writeInt(round.gradientIds()[s]);
      }
      out.writeInt(round.assignment().length);
      for (int[] partitions : round.assignment()) {
        out.writeInt(partitions == null ? -1 : partitions.length);
        for (int p = 0; partitions != null && p < partitions.length; p++) {
          out.writeInt(partitions[p]);
        }
      }
      out.writeInt(round.shards().size());
      for (InetSocketAddress shard : round.shards()) {
        out.writeUTF(ShardAddress.format(shard));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** The round a key names, or round -1 when there is none. */
  static Round decodeRound(byte[] value) {
    if (value == null || value.length < 21) {
      return new Round(-1, Kind.GRADIENT, 0, 0, List.of(), new int[0], new int[0], new int[0][]);
    }
    ByteBuffer in = ByteBuffer.wrap(value);
    int number = in.getInt();
    Kind kind = Kind.values()[in.get()];
    float learningRate = in.getFloat();
    float l2 = in.getFloat();
    int shards = in.getInt();
    int[] pointIds = new int[shards];
    int[] gradientIds = new int[shards];
    for (int s = 0; s < shards; s++) {
      pointIds[s] = in.getInt();
      gradientIds[s] = in.getInt();
    }
    int[][] assignment = new int[in.getInt()][];
    for (int w = 0; w < assignment.length; w++) {
      int count = in.getInt();
      if (count >= 0) {
        assignment[w] = new int[count];
        for (int p = 0; p < count; p++) {
          assignment[w][p] = in.getInt();
        }
      }
    }
    List<InetSocketAddress> placed = new ArrayList<>();
    for (int s = in.getInt(); s > 0; s--) {
      byte[] address = new byte[in.getShort() & 0xffff];
      in.get(address);
      // unresolved: workers decode the key at every look, and dial (looking the name up) only a change of shards
      placed.add(ShardAddress.parse(new String(address, StandardCharsets.UTF_8)));
    }
    return new Round(number, kind, learningRate, l2, placed, pointIds, gradientIds, assignment);
  }

  /**
   * A worker's result: its rows' summed loss, their count, the seconds it took over the round, and of those the wall
   * and CPU seconds of computing the gradient.
   */
  static byte[] encodeResult(double loss, long rows, double seconds, double computeSeconds, double computeCpuSeconds) {
    return ByteBuffer.allocate(40).putDouble(loss).putLong(rows).putDouble(seconds).putDouble(computeSeconds)
        .putDouble(computeCpuSeconds).array();
  }

  /** A worker's record that it abandoned the round, and why. */
  static byte[] encodeAbandoned(String why) {
    byte[] text = why.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(16 + text.length).putDouble(Double.NaN).putLong(-1).put(text).array();
  }

  /** The rounds begun so far. */
  int begun() {
    return round + 1;
  }

  /**
   * Begins the next round at {@code at} (exactly floats), its workers' partitions as {@code assignment} says ({@link
   * Round#assignment}), leaving the one before it: its models are deleted, and a worker still in it finds out.
   */
  void begin(double[] at, int[][] assignment) throws Exception {
    begin(Kind.GRADIENT, at, 0, 0, assignment);
  }

  /** Begins the next round as a {@link Kind#SQUARES} one, whose sums come back in {@link Sums#gradient}. */
  void beginSquares(int[][] assignment) throws Exception {
    begin(Kind.SQUARES, null, 0, 0, assignment);
  }

  /**
   * Begins the next round as a {@link Kind#SGD_START} one, AdaGrad's rate {@code learningRate}, L2 penalty {@code
   * l2}: its {@link Sums#gradient} is the workers' models after the pass, each times its rows.
   */
  void beginSgdStart(float learningRate, float l2, int[][] assignment) throws Exception {
    begin(Kind.SGD_START, null, learningRate, l2, assignment);
  }

  /** Begins the next round of {@code kind}, its point {@code at} (null: left at zeros, unread). */
  private void begin(Kind kind, double[] at, float learningRate, float l2, int[][] assignment) throws Exception {
    CompletableFuture<Void> leaving = leave();
    round = round + 1;
    this.assignment = assignment;
    placed = placing;
    point = placed.createModel(pointModel(model, round), spec);
    gradient = placed.createModel(gradientModel(model, round), spec);
    // answered by now: a shard serves a connection's calls in order, and the deletes went before the creates
    leaving.get(30, TimeUnit.SECONDS);
    if (at != null) {
      write(at);
    }
    ps.put(roundKey(model), encodeRound(
        new Round(round, kind, learningRate, l2, placingShards, point.shardIds(), gradient.shardIds(), assignment)))
        .get(30, TimeUnit.SECONDS);
  }

  /**
   * Writes {@code at} into the round's point model, which starts at zeros, a push of its negation in ranges of keys:
   * only the keys whose values are not all zero, since the rest are zeros already (a hashed feature no row has, whose
   * weight never moves: two thirds of the models benchmark's Criteo-shaped keys, whose whole write took 45 ms of a
   * 155 ms pass, 22 ms without them); once the {@link #touched} keys are known, only among those, the weights of the
   * others having no gradient to leave zero by.
   */
  private void write(double[] at) throws Exception {
    int cols = spec.cols();
    int candidates = touched == null ? spec.rows() : touched.length;
    int[] nonZero = new int[candidates];
    int count = 0;
    for (int i = 0; i < candidates; i++) {
      int key = touched == null ? i : touched[i];
      for (int c = 0; c < cols; c++) {
        if (at[key * cols + c] != 0) {
          nonZero[count++] = key;
          break;
        }
      }
    }
    int perCall = keysPerCall();
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    for (int from = 0; from < count; from += perCall) {
      int[] keys = Arrays.copyOfRange(nonZero, from, Math.min(count, from + perCall));
      float[] negated = new float[keys.length * cols];
      for (int k = 0; k < keys.length; k++) {
        for (int c = 0; c < cols; c++) {
          negated[k * cols + c] = (float) -at[keys[k] * cols + c];
        }
      }
      writes.add(placed.push(point, keys, negated));
    }
    CompletableFuture.allOf(writes.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
  }

  /** Keys a write or a read of the round's models sends in one call: a frame's worth of values. */
  private int keysPerCall() {
    return Math.max(1, (1 << 16) / spec.cols());
  }

  /**
   * The round's sums once every worker has reported it; null while one has not.
   *
   * @throws AbandonedException when a worker abandoned it
   */
  Sums collect() throws Exception {
    List<String> keys = new ArrayList<>();
    List<Integer> workers = new ArrayList<>();
    for (int w = 0; w < assignment.length; w++) {
      if (summing(w)) {
        keys.add(resultKey(model, round, w));
        workers.add(w);
      }
    }
    List<byte[]> results = ps.multiGet(keys).get(30, TimeUnit.SECONDS);
    List<Integer> notIn = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      if (results.get(i) == null) {
        notIn.add(workers.get(i));
      }
    }
    missing = List.copyOf(notIn);
    if (!missing.isEmpty()) {
      return null;
    }
    double loss = 0;
    long rows = 0;
    double busiest = 0;
    double busiestComputing = 0;
    double computing = 0;
    double onCores = 0;
    for (byte[] result : results) {
      ByteBuffer in = ByteBuffer.wrap(result);
      loss += in.getDouble();
      long workerRows = in.getLong();
      if (workerRows < 0) {
        byte[] why = new byte[in.remaining()];
        in.get(why);
        throw new AbandonedException(new String(why, StandardCharsets.UTF_8));
      }
      rows += workerRows;
      double seconds = in.getDouble();
      double compute = in.getDouble();
      if (seconds >= busiest) {
        busiest = seconds;
        busiestComputing = compute;
      }
      computing += compute;
      onCores += in.getDouble();
    }
    float[] all = touched == null ? placed.pullAll(gradient).get(60, TimeUnit.SECONDS) : readTouched();
    return new Sums(loss, rows, all, busiest, busiestComputing, computing > 0 ? onCores / computing : Double.NaN);
  }

  /**
   * From now on {@link #collect} reads only the keys of {@code squares} (a {@link Kind#SQUARES} round's sums) that some
   * row has, and the bias: the rest of the gradient is zeros (two thirds of the models benchmark's Criteo-shaped keys,
   * whose whole read took 18 ms a pass, 9 ms without them).
   */
  void readOnlyTouched(Sums squares) {
    int cols = spec.cols();
    int bias = spec.rows() - 1;
    int[] keys = new int[bias + 1];
    int count = 0;
    for (int key = 0; key < bias; key++) {
      if (squares.gradient()[key * cols] != 0) {
        keys[count++] = key;
      }
    }
    keys[count++] = bias;
    touched = Arrays.copyOf(keys, count);
  }

  /** The round's gradient at the {@link #touched} keys, zeros elsewhere, read in pulls of frame-sized ranges. */
  private float[] readTouched() throws Exception {
    int cols = spec.cols();
    int perCall = keysPerCall();
    List<CompletableFuture<float[]>> reads = new ArrayList<>();
    for (int from = 0; from < touched.length; from += perCall) {
      reads.add(placed.pull(gradient, Arrays.copyOfRange(touched, from, Math.min(touched.length, from + perCall))));
    }
    float[] all = new float[(int) spec.size()];
    for (int r = 0; r < reads.size(); r++) {
      float[] values = reads.get(r).get(60, TimeUnit.SECONDS);
      for (int k = 0; k < values.length / cols; k++) {
        System.arraycopy(values, k * cols, all, touched[r * perCall + k] * cols, cols);
      }
    }
    return all;
  }

  /**
   * Runs {@code wake} once the first worker the last {@link #collect} did not find reports the round (or abandons it),
   * or after at most {@link #REPORT_WAIT_MILLIS}: a wait the shard answers when the worker writes its result ({@link
   * PsClient#awaitChange}), so nobody polls. One wait at a time per round.
   */
  void wakeOnReport(Runnable wake) {
    if (missing.isEmpty() || watchedRound == round && watching != null && !watching.isDone()) {
      return;
    }
    watchedRound = round;
    watching = ps.awaitChange(resultKey(model, round, missing.get(0)), null, REPORT_WAIT_MILLIS)
        .whenComplete((value, failure) -> wake.run());
  }

  /** The workers the round now waited for at the last {@link #collect}: those that have not reported it yet. */
  List<Integer> missing() {
    return missing;
  }

  /** Whether worker {@code w} sums partitions in the round now, so that the round waits for it. */
  private boolean summing(int w) {
    return assignment[w] != null && assignment[w].length > 0;
  }

  /** Deletes the round now running, its models and its workers' results; nothing before the first. */
  void end() throws Exception {
    leave().get(30, TimeUnit.SECONDS);
  }

  /**
   * Sends the deletes of the round's models and its workers' results; completes once the models' are done (the
   * results' are not waited for).
   */
  private CompletableFuture<Void> leave() {
    List<CompletableFuture<Boolean>> deletes = new ArrayList<>();
    // either model may be missing: a begin that a lost connection cut short made the point alone, or neither
    for (PsModel made : new PsModel[] {point, gradient}) {
      if (made != null) {
        deletes.add(placed.deleteModel(made.name()));
      }
    }
    point = null;
    gradient = null;
    for (int w = 0; round >= 0 && assignment != null && w < assignment.length; w++) {
      if (summing(w)) {
        ps.delete(resultKey(model, round, w));
      }
    }
    return CompletableFuture.allOf(deletes.toArray(new CompletableFuture[0]));
  }
}
