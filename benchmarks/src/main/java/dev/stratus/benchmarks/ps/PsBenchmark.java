package dev.stratus.benchmarks.ps;

import dev.stratus.benchmarks.Machine;
import dev.stratus.benchmarks.Topology;
import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.ShardAccess;
import dev.stratus.ps.WireValues;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import dev.stratus.ps.server.PsProcesses;
import dev.stratus.ps.server.ShardConfig;
import dev.stratus.topology.CloudTopology;
import dev.stratus.topology.DelayProxy;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * The parameter server against Redis and against a bare echo of the same bytes, on Criteo-shaped training traffic:
 * each iteration pulls a 20-row minibatch's keys (about 700 of a 2^19 model) and pushes a gradient for them, each
 * call waited for. One shard (a separate JVM), 1, 2 and 4 client threads, each with its own connection. The echo
 * floor runs in a separate JVM too.
 *
 * <p>Redis runs two ways, both doing the whole update server-side like our shard: (1) the model as one binary
 * string of floats, a Lua script gathering the rows with GETRANGE (pull) and one applying SGD with GETRANGE/SETRANGE
 * (push), keys and gradients passed packed in one argument each; (2) a hash of decimal floats, pull by one HMGET,
 * push by a Lua script of HINCRBYFLOATs. The faster is the one we compare to.
 *
 * <p>Run: {@code mvn -q -o -pl ps install -DskipTests && mvn -q -o -pl benchmarks compile exec:java@ps}; optional
 * arguments, in order: seconds measured per round (default 1), the redis-server binary (where there is none, the
 * Redis rows are left out), the classes of another build of the parameter server to measure beside ours (say the
 * previous commit's {@code ps/target/classes}; empty for none), and rounds per configuration (default 3; each
 * reports its median round).
 *
 * <p>With {@code --tls} first (then optionally seconds per round and rounds), it measures instead our shard serving
 * TLS beside our shard serving plain frames, in the same rounds, and gives TLS over plain per thread count. With
 * {@code --topology cloud} after it (as root) both shards run where TLS is meant for, across hosts: in the
 * cloud-shaped topology's shard namespace behind a datacenter link ({@link DelayProxy.Options#datacenter()}), the
 * clients in this JVM on the host's side; {@code loopback,cloud} measures both, one after the other.
 *
 * <p>With {@code --values} first (then optionally seconds per round, rounds, and training rows), it measures clients
 * sending values as float32 beside clients sending halves ({@link WireValues}), in the same rounds: iterations/s,
 * latency and bytes per iteration; then the same training (2 worker threads, one pass over generated Criteo rows, an
 * equal number of updates) with each, and each kept model's logloss on test rows that neither training saw (a
 * separate validation split chose the kept model).
 */
public final class PsBenchmark {
  private static final int MODEL_BITS = 19;
  private static final float LEARNING_RATE = 0.05f;
  private static final int[] THREADS = {1, 2, 4};
  private static final String SECRET = "benchmark-secret";
  private static final double WARMUP_SECONDS = 0.5;
  /**
   * Rounds of load on each shard before anything counts, each with new connections (1, 2, 4 in turn), so that its
   * hot paths are compiled with connections coming and going, as in a shard serving Lambda workers: C2 compiles
   * Netty's pipeline inlined into our handler in seconds of CPU on a small machine, and the first connection closed
   * or opened sends the compiled event loop back to the interpreter until it is compiled again. Rounds measured
   * meanwhile would show the compiler, not the server.
   */
  private static final int SHARD_WARMUP_ROUNDS = 6;
  private static final String BASELINE = "ps baseline";

  /** One client thread's connection, doing one pull or one push and waiting for its answer. */
  interface Session extends AutoCloseable {
    void pull(int batch) throws Exception;

    void push(int batch) throws Exception;

    long wireBytes();

    @Override
    void close() throws Exception;
  }

  record Result(String system, int threads, double iterationsPerSecond, double pullP50, double pullP99,
      double pushP50, double pushP99, double bytesPerIteration, double serverCpuMicrosPerIteration,
      double clientCpuMicrosPerIteration) {
    double roundTripMicros() {
      return pullP50 + pushP50;
    }
  }

  private final CriteoTraffic traffic = new CriteoTraffic(4096, MODEL_BITS, 2024);
  private final double seconds;
  private final int rounds;

  private PsBenchmark(double seconds, int rounds) {
    this.seconds = seconds;
    this.rounds = rounds;
  }

  public static void main(String[] args) throws Exception {
    boolean tls = args.length > 0 && args[0].equals("--tls");
    boolean values = args.length > 0 && args[0].equals("--values");
    String[] rest = tls || values ? Arrays.copyOfRange(args, 1, args.length) : args;
    List<Topology> topologies = List.of(Topology.LOOPBACK);
    int topologyAt = Arrays.asList(rest).indexOf("--topology");
    if (topologyAt >= 0) {
      if (!tls || topologyAt + 1 >= rest.length) {
        throw new IllegalArgumentException("--topology loopback|cloud|loopback,cloud goes after --tls only");
      }
      topologies = Topology.parse(rest[topologyAt + 1]);
      rest = Arrays.copyOfRange(rest, 0, topologyAt);
    }
    double seconds = rest.length > 0 ? Double.parseDouble(rest[0]) : 1;
    String redisBinary = !tls && !values && rest.length > 1 ? rest[1] : "/usr/bin/redis-server";
    Path baseline = !tls && !values && rest.length > 2 && !rest[2].isEmpty() ? Path.of(rest[2]) : null;
    int roundsAt = tls || values ? 1 : 3;
    int rounds = rest.length > roundsAt ? Integer.parseInt(rest[roundsAt]) : 3;
    if (!(seconds > 0) || rounds < 1) {
      throw new IllegalArgumentException("seconds per round must be more than 0 and rounds at least 1, got "
          + rest[0] + " and " + rounds);
    }
    Machine.printLoad("at the start");
    PsBenchmark benchmark = new PsBenchmark(seconds, rounds);
    if (tls) {
      for (Topology topology : topologies) {
        benchmark.compareTls(topology);
      }
    } else if (values) {
      benchmark.compareValues(rest.length > 2 ? Long.parseLong(rest[2]) : 1_000_000);
    } else {
      benchmark.run(redisBinary, baseline);
    }
    Machine.printLoad("at the end");
  }

  private void run(String redisBinary, Path baselineClasses) throws Exception {
    printSetup();
    KeyEncodings.report(traffic);

    boolean withRedis = Files.isExecutable(Path.of(redisBinary));
    if (!withRedis) {
      java.lang.System.out.printf(Locale.ROOT, "No redis-server at %s (pass its path as the second argument): the "
          + "Redis rows are left out.%n%n", redisBinary);
    }
    List<Result> results = new ArrayList<>();
    List<Paired> pairs = new ArrayList<>();
    try (PsProcesses shard = PsProcesses.start(1, ShardConfig.of(SECRET), "1g");
        PsClient admin = PsClient.connect(shard.addresses(), SECRET);
        BaselineShard baseline = baselineClasses == null ? null : new BaselineShard(baselineClasses, SECRET);
        RedisServer redis = withRedis ? new RedisServer(redisBinary) : null;
        EchoProcess echo = new EchoProcess()) {
      PsModel model = admin.createModel("criteo", ModelSpec.vector(MODEL_BITS).learningRate(LEARNING_RATE));
      List<System> systems = new ArrayList<>();
      systems.add(new System("stratus ps", t -> new PsSession(shard.addresses(), shard.access(), model, t),
          shard.pid(0)));
      if (baseline != null) {
        List<InetSocketAddress> at = List.of(new InetSocketAddress("127.0.0.1", baseline.port));
        PsModel baselineModel;
        try (PsClient baselineAdmin = PsClient.connect(at, SECRET)) {
          baselineModel = baselineAdmin.createModel(model.name(), model.spec());
        }
        systems.add(new System(BASELINE, t -> new PsSession(at, ShardAccess.plain(SECRET), baselineModel, t),
            baseline.pid()));
      }
      if (redis != null) {
        RedisStringSession.createModel(redis.address);
        systems.add(new System("redis lua/string", t -> new RedisStringSession(redis.address), redis.pid()));
        systems.add(new System("redis hash+lua", t -> new RedisHashSession(redis.address), redis.pid()));
      }
      systems.add(new System("echo floor", t -> new EchoSession(echo.port), echo.pid()));
      List<List<List<Result>>> rounds = measureInRounds(systems, baseline == null ? 1 : 2);
      for (int t = 0; t < THREADS.length; t++) {
        if (baseline != null) {
          pairs.add(Paired.of(THREADS[t], rounds.get(t).get(0), rounds.get(t).get(1)));
        }
        rounds.get(t).forEach(ofSystem -> results.add(median(ofSystem)));
      }
    }
    print(results, pairs);
  }

  /**
   * Our shard over TLS against the same shard over plain frames, in the same rounds: two shard processes, one serving
   * TLS with a job's self-signed certificate, each client thread with its own connection to each; on loopback, or in
   * the cloud-shaped topology's shard namespace behind a datacenter link.
   */
  private void compareTls(Topology topology) throws Exception {
    java.lang.System.out.printf(Locale.ROOT, "Topology: %s%n", topology == Topology.LOOPBACK
        ? "loopback (shards and clients on 127.0.0.1)"
        : "cloud (the shards in a network namespace of their own, reached through a delay proxy there: "
            + DelayProxy.Options.datacenter().describe() + "; the clients in this JVM, on the host's side)");
    printSetup();
    SideBySide measured;
    if (topology == Topology.LOOPBACK) {
      try (PsProcesses plain = PsProcesses.start(1, ShardConfig.of(SECRET), "1g");
          PsProcesses tls = PsProcesses.start(1, ShardConfig.of(SECRET).tlsSelfSigned(), "1g")) {
        measured = sideBySide(shardSystem("stratus ps", plain), shardSystem("stratus ps tls", tls));
      }
    } else {
      String unavailable = CloudTopology.unavailableReason();
      if (unavailable != null) {
        throw new IllegalStateException("--topology cloud needs network namespaces: " + unavailable);
      }
      try (CloudTopology cloud = CloudTopology.create();
          CloudTopology.Shards plain = cloud.startShards(1, SECRET, false, DelayProxy.Options.datacenter(), "1g");
          CloudTopology.Shards tls = cloud.startShards(1, SECRET, true, DelayProxy.Options.datacenter(), "1g")) {
        measured = sideBySide(
            shardSystem("stratus ps", plain.addresses(), plain.shardProcesses(), WireValues.FLOAT32),
            shardSystem("stratus ps tls", tls.addresses(), tls.shardProcesses(), WireValues.FLOAT32));
      }
    }
    List<Paired> pairs = measured.pairs();
    printTable(measured.results());
    java.lang.System.out.printf(Locale.ROOT, "%n%7s %17s %25s %26s %26s%n", "threads", "tls/plain iter/s",
        "tls/plain p50 round trip", "tls/plain server CPU/iter", "tls/plain client CPU/iter");
    for (Paired paired : pairs) {
      java.lang.System.out.printf(Locale.ROOT, "%7d %16.2fx %24.2fx %25.2fx %25.2fx%n", paired.threads(),
          paired.iterationsPerSecond(), paired.roundTrip(), paired.serverCpu(), paired.clientCpu());
    }
    java.lang.System.out.println("""

        stratus ps:       one shard process serving plain frames; pull = 1 frame of delta-varint keys, push = the
                          pull's request id (its keys) + floats, SGD applied by the shard; every call waited for.
        stratus ps tls:   the same in a second shard process serving TLS 1.3 (EC P-256 certificate, AES-128-GCM;
                          BoringSSL on both sides where it loads: netty-tcnative on the shard, Conscrypt in the client,
                          else the JDK's provider), the client pinning its certificate.
        tls/plain:        the median over rounds of each round's ratio (the two run back to back in a round); client
                          CPU/iter is this process's, where the client threads run.
        Goal: tls/plain iter/s >= 0.85 (TLS costs at most 15% of the iterations).""");
  }

  /**
   * Clients sending float32 values beside clients sending halves, in the same rounds, each to a shard process of its
   * own; then the loss each reaches on the same training.
   */
  private void compareValues(long trainingRows) throws Exception {
    printSetup();
    SideBySide measured;
    try (PsProcesses float32 = PsProcesses.start(1, ShardConfig.of(SECRET), "1g");
        PsProcesses float16 = PsProcesses.start(1, ShardConfig.of(SECRET), "1g")) {
      measured = sideBySide(shardSystem("stratus ps float32", float32),
          shardSystem("stratus ps float16", float16.addresses(), float16, WireValues.FLOAT16));
    }
    List<Result> results = measured.results();
    List<Paired> pairs = measured.pairs();
    printTable(results);
    java.lang.System.out.printf(Locale.ROOT, "%n%7s %20s %28s %21s%n", "threads", "float16/float32 iter/s",
        "float16/float32 p50 round trip", "float16/float32 bytes");
    for (int t = 0; t < THREADS.length; t++) {
      Result half = results.get(2 * t + 1);
      Result full = results.get(2 * t);
      java.lang.System.out.printf(Locale.ROOT, "%7d %21.2fx %29.2fx %21.2fx%n", pairs.get(t).threads(),
          pairs.get(t).iterationsPerSecond(), pairs.get(t).roundTrip(),
          half.bytesPerIteration() / full.bytesPerIteration());
    }
    ValuesTraining.compare(trainingRows);
    java.lang.System.out.println("""

        stratus ps float32: a shard process; pull = delta-varint keys, its reply float32 weights; push = the pull's
                            request id (its keys) + float32 gradients; every call waited for.
        stratus ps float16: the same against a second shard process, the client sending and receiving halves (IEEE
                            binary16, two bytes a value; the shard keeps float32 weights).
        Goal: at most half the bytes at a final loss within 0.5%.""");
  }

  /** Two systems' median results, thread count by thread count ({@code baseline} first), and each over the baseline. */
  private record SideBySide(List<Result> results, List<Paired> pairs) {}

  /** {@code baseline} and {@code other}, our shards both, measured back to back in every round. */
  private SideBySide sideBySide(System baseline, System other) throws Exception {
    List<Result> results = new ArrayList<>();
    List<Paired> pairs = new ArrayList<>();
    List<List<List<Result>>> rounds = measureInRounds(List.of(baseline, other), 2);
    for (int t = 0; t < THREADS.length; t++) {
      pairs.add(Paired.of(THREADS[t], rounds.get(t).get(1), rounds.get(t).get(0)));
      rounds.get(t).forEach(ofSystem -> results.add(median(ofSystem)));
    }
    return new SideBySide(results, pairs);
  }

  /** One of our shards as a system under test, dialled at its own addresses with float32 values. */
  private System shardSystem(String name, PsProcesses shard) {
    return shardSystem(name, shard.addresses(), shard, WireValues.FLOAT32);
  }

  /**
   * One of our shards as a system under test: a model on it, and a session per client thread, dialling {@code dialled}
   * (its own addresses, or a proxy's in front of it) and sending {@code values}.
   */
  private System shardSystem(String name, List<InetSocketAddress> dialled, PsProcesses shard, WireValues values) {
    PsModel model;
    try (PsClient admin = PsClient.connect(dialled, shard.access(), 0)) {
      model = admin.createModel("criteo", ModelSpec.vector(MODEL_BITS).learningRate(LEARNING_RATE));
    }
    return new System(name, t -> new PsSession(dialled, shard.access(), model, t, values), shard.pid(0));
  }

  private void printSetup() {
    java.lang.System.out.printf(Locale.ROOT, "Criteo-shaped traffic: %d minibatches of %d rows x %d fields, model 2^%d, "
            + "%.0f distinct keys per minibatch on average; per configuration the median of %d rounds of %.1f s "
            + "(after %.1f s of warm-up each, and %d rounds of load on each shard first)%n%n",
        traffic.keys.length, CriteoTraffic.ROWS_PER_BATCH, CriteoTraffic.FIELDS, MODEL_BITS, traffic.meanKeys(),
        rounds, seconds, WARMUP_SECONDS, SHARD_WARMUP_ROUNDS);
  }

  /**
   * Every system's rounds at every thread count ({@code [thread count][system][round]}), after warming up the first
   * {@code shards} systems (our shards). All servers stay up, and for each thread count the systems are measured in
   * turn, in several short rounds: the machine is shared, and a burst of someone else's load then spoils one round of
   * one system instead of one system's whole figure.
   */
  private List<List<List<Result>>> measureInRounds(List<System> systems, int shards) throws Exception {
    for (System shardSystem : systems.subList(0, shards)) {
      for (int round = 0; round < SHARD_WARMUP_ROUNDS; round++) {
        measure(shardSystem, THREADS[round % THREADS.length], WARMUP_SECONDS);
      }
    }
    List<List<List<Result>>> byThreads = new ArrayList<>();
    for (int threads : THREADS) {
      List<List<Result>> bySystem = new ArrayList<>();
      systems.forEach(system -> bySystem.add(new ArrayList<>()));
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < systems.size(); i++) {
          bySystem.get(i).add(measure(systems.get(i), threads, WARMUP_SECONDS));
        }
      }
      byThreads.add(bySystem);
    }
    return byThreads;
  }

  /** The round of median iterations/s. */
  private static Result median(List<Result> rounds) {
    List<Result> sorted = new ArrayList<>(rounds);
    sorted.sort(java.util.Comparator.comparingDouble(Result::iterationsPerSecond));
    return sorted.get(sorted.size() / 2);
  }

  /**
   * Ours over the baseline at one thread count, as the median over rounds of each round's ratio: the two run one
   * right after the other in every round, so a burst of the machine's other load mostly spoils one round's pair
   * instead of biasing one system's median.
   */
  record Paired(int threads, double iterationsPerSecond, double roundTrip, double serverCpu, double clientCpu) {
    static Paired of(int threads, List<Result> ours, List<Result> baseline) {
      return new Paired(threads,
          medianRatio(ours, baseline, Result::iterationsPerSecond),
          medianRatio(ours, baseline, Result::roundTripMicros),
          medianRatio(ours, baseline, Result::serverCpuMicrosPerIteration),
          medianRatio(ours, baseline, Result::clientCpuMicrosPerIteration));
    }

    private static double medianRatio(List<Result> ours, List<Result> baseline,
        java.util.function.ToDoubleFunction<Result> figure) {
      double[] ratios = new double[ours.size()];
      for (int r = 0; r < ratios.length; r++) {
        ratios[r] = figure.applyAsDouble(ours.get(r)) / figure.applyAsDouble(baseline.get(r));
      }
      Arrays.sort(ratios);
      return ratios[ratios.length / 2];
    }
  }

  /** A system under test: its name, how a client thread opens its own session, and its server's process. */
  private record System(String name, IntFunction<Session> sessions, long serverPid) {
    /** CPU time the server process has used so far, user and system: the work it does apart from the scheduler. */
    long serverCpuNanos() {
      return ProcessHandle.of(serverPid).flatMap(p -> p.info().totalCpuDuration()).orElseThrow(
          () -> new IllegalStateException(name + ": no CPU time for its server process " + serverPid)).toNanos();
    }
  }

  /** One round: {@code threads} sessions run for the warm-up, then for the measured time. */
  private Result measure(System tested, int threads, double warmupSeconds) throws Exception {
    String system = tested.name();
    IntFunction<Session> sessions = tested.sessions();
    long start = java.lang.System.nanoTime() + 200_000_000L; // every thread connected by then
    long measureFrom = start + (long) (warmupSeconds * 1e9);
    long measureTo = measureFrom + (long) (seconds * 1e9);
    long[][] pulls = new long[threads][];
    long[][] pushes = new long[threads][];
    int[] iterations = new int[threads];
    long[] bytes = new long[threads];
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(threads);
    long[] serverCpu = new long[2]; // at the start and the end of the measured time
    long[] clientCpu = new long[2]; // this process's, whose client threads are all that run then
    Thread cpuClock = new Thread(() -> {
      try {
        sleepUntil(measureFrom);
        serverCpu[0] = tested.serverCpuNanos();
        clientCpu[0] = ownCpuNanos();
        sleepUntil(measureTo);
        serverCpu[1] = tested.serverCpuNanos();
        clientCpu[1] = ownCpuNanos();
      } catch (Throwable e) {
        failure.compareAndSet(null, e);
      }
    }, system + "-cpu");
    cpuClock.start();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      new Thread(() -> {
        try (Session session = sessions.apply(thread)) {
          RoundTrips measured = new RoundTrips(1 << 16);
          int batch = thread * 997;
          long bytesBefore = 0;
          boolean measuring = false;
          while (java.lang.System.nanoTime() < start) {
            Thread.onSpinWait();
          }
          while (true) {
            long t0 = java.lang.System.nanoTime();
            if (t0 >= measureTo) {
              break;
            }
            if (!measuring && t0 >= measureFrom) {
              measuring = true;
              bytesBefore = session.wireBytes();
            }
            int b = batch++ % traffic.keys.length;
            session.pull(b);
            long t1 = java.lang.System.nanoTime();
            session.push(b);
            long t2 = java.lang.System.nanoTime();
            if (measuring) {
              measured.add(t1 - t0, t2 - t1);
            }
          }
          pulls[thread] = measured.pulls().toArray();
          pushes[thread] = measured.pushes().toArray();
          iterations[thread] = measured.count();
          bytes[thread] = session.wireBytes() - bytesBefore;
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        } finally {
          done.countDown();
        }
      }, system + "-" + t).start();
    }
    done.await();
    cpuClock.join();
    if (failure.get() != null) {
      throw new IllegalStateException(system + " with " + threads + " threads failed", failure.get());
    }
    long total = Arrays.stream(iterations).sum();
    long[] allPulls = Arrays.stream(pulls).flatMapToLong(Arrays::stream).sorted().toArray();
    long[] allPushes = Arrays.stream(pushes).flatMapToLong(Arrays::stream).sorted().toArray();
    Result result = new Result(system, threads, total / seconds, micros(allPulls, 0.5), micros(allPulls, 0.99),
        micros(allPushes, 0.5), micros(allPushes, 0.99), (double) Arrays.stream(bytes).sum() / Math.max(1, total),
        (serverCpu[1] - serverCpu[0]) / 1e3 / Math.max(1, total),
        (clientCpu[1] - clientCpu[0]) / 1e3 / Math.max(1, total));
    return result;
  }

  /** CPU time this process has used so far, user and system. */
  /** This process's CPU time, all its threads': the client side of a benchmark. */
  static long ownCpuNanos() {
    return ProcessHandle.current().info().totalCpuDuration().orElseThrow(
        () -> new IllegalStateException("no CPU time for this process")).toNanos();
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long left = nanoTime - java.lang.System.nanoTime();
    if (left > 0) {
      Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
    }
  }

  private static double micros(long[] sortedNanos, double quantile) {
    if (sortedNanos.length == 0) {
      return Double.NaN;
    }
    return sortedNanos[(int) Math.min(sortedNanos.length - 1, quantile * sortedNanos.length)] / 1e3;
  }

  /** Every system's figures, a line per thread count, systems in the order measured. */
  private static void printTable(List<Result> results) {
    java.lang.System.out.printf(Locale.ROOT, "%n%-17s %7s %12s %9s %9s %9s %9s %11s %16s%n", "system", "threads",
        "iter/s", "pull p50", "pull p99", "push p50", "push p99", "bytes/iter", "server CPU/iter");
    List<Result> bySystem = new ArrayList<>(results);
    List<String> systems = results.stream().map(Result::system).distinct().toList();
    bySystem.sort(java.util.Comparator.comparingInt((Result r) -> systems.indexOf(r.system()))
        .thenComparingInt(Result::threads));
    for (Result r : bySystem) {
      java.lang.System.out.printf(Locale.ROOT, "%-17s %7d %,12.0f %8.1fu %8.1fu %8.1fu %8.1fu %,11.0f %15.1fu%n",
          r.system(), r.threads(), r.iterationsPerSecond(), r.pullP50(), r.pullP99(), r.pushP50(), r.pushP99(),
          r.bytesPerIteration(), r.serverCpuMicrosPerIteration());
    }
  }

  private static void print(List<Result> results, List<Paired> pairs) {
    printTable(results);
    List<String> systems = results.stream().map(Result::system).distinct().toList();
    boolean withRedis = systems.contains("redis lua/string");
    boolean withBaseline = systems.contains(BASELINE);
    java.lang.System.out.printf(Locale.ROOT, "%n%7s %22s %16s %26s%s%n", "threads", "ours/redis (iter/s)",
        "ours/echo iter/s", "ours/echo p50 round trip",
        withBaseline ? String.format(Locale.ROOT, " %20s %28s %25s %30s", "ours/baseline iter/s",
            "ours/baseline p50 round trip", "baseline/echo round trip", "ours/baseline server CPU/iter") : "");
    for (int threads : THREADS) {
      Result ours = find(results, "stratus ps", threads);
      String versusRedis = "-";
      if (withRedis) {
        Result redis = find(results, "redis lua/string", threads);
        Result redisHash = find(results, "redis hash+lua", threads);
        Result bestRedis = redis.iterationsPerSecond() >= redisHash.iterationsPerSecond() ? redis : redisHash;
        versusRedis = String.format(Locale.ROOT, "%.1fx (%s)", ours.iterationsPerSecond()
            / bestRedis.iterationsPerSecond(), bestRedis.system().substring(6));
      }
      Result echo = find(results, "echo floor", threads);
      String versusBaseline = "";
      if (withBaseline) {
        Result baseline = find(results, BASELINE, threads);
        Paired paired = pairs.stream().filter(p -> p.threads() == threads).findFirst().orElseThrow();
        versusBaseline = String.format(Locale.ROOT, " %19.2fx %27.2fx %24.2fx %29.2fx",
            paired.iterationsPerSecond(), paired.roundTrip(), baseline.roundTripMicros() / echo.roundTripMicros(),
            paired.serverCpu());
      }
      java.lang.System.out.printf(Locale.ROOT, "%7d %22s %15.2fx %25.2fx%s%n", threads, versusRedis,
          ours.iterationsPerSecond() / echo.iterationsPerSecond(), ours.roundTripMicros() / echo.roundTripMicros(),
          versusBaseline);
    }
    java.lang.System.out.println("""

        stratus ps:       one shard process; pull = 1 frame of delta-varint keys, push = the pull's request id (its
                          keys) + floats, SGD applied by the shard; every call waited for.
        redis lua/string: the model as one string of floats; EVALSHA of a Lua script that gathers the rows with
                          GETRANGE (pull), and of one that applies SGD with GETRANGE/SETRANGE (push); keys and
                          gradients packed as binary arguments. One round trip per call, like ours.
        redis hash+lua:   the model as a hash of decimal floats; HMGET (pull), EVALSHA of a HINCRBYFLOAT loop (push).
        ps baseline:      (when a third argument names another build's ps classes) that build's shard, driven
                          by our client exactly like ours, measured in the same rounds; ours/baseline figures are
                          the median over rounds of each round's ratio (the two run back to back in a round).
        echo floor:       a process that answers each request with as many bytes as our reply has: the same bytes
                          and round trips with no work.
        server CPU/iter:  user and system CPU time of the server's process during the measured time, per iteration:
                          what the server spends apart from how the two cores happened to be shared.
        Ratios compare ours with the faster Redis at each thread count.
        Goals: ours/redis >= 5x; ours/echo p50 round trip (pull p50 + push p50) <= 2x.""");
  }

  private static Result find(List<Result> results, String system, int threads) {
    return results.stream().filter(r -> r.system().equals(system) && r.threads() == threads).findFirst()
        .orElseThrow();
  }

  // ---- the sessions -------------------------------------------------------------------------------------------

  /** Our client: its own connection to the shard, pull and push through the public API. */
  private final class PsSession implements Session {
    private final PsClient client;
    private final PsModel model;

    PsSession(List<InetSocketAddress> shard, ShardAccess access, PsModel model, int worker) {
      this(shard, access, model, worker, WireValues.FLOAT32);
    }

    PsSession(List<InetSocketAddress> shard, ShardAccess access, PsModel model, int worker, WireValues values) {
      this.client = PsClient.connect(shard, access, worker).wireValues(values);
      this.model = client.createModel(model.name(), model.spec());
    }

    @Override
    public void pull(int batch) throws Exception {
      client.pull(model, traffic.keys[batch]).get();
    }

    @Override
    public void push(int batch) throws Exception {
      client.push(model, traffic.keys[batch], traffic.gradients[batch]).get();
    }

    @Override
    public long wireBytes() {
      return client.bytesSent() + client.bytesReceived();
    }

    @Override
    public void close() {
      client.close();
    }
  }

  /** The model as one Redis string of little-endian floats; Lua scripts gather rows and apply SGD in place. */
  private final class RedisStringSession implements Session {
    private static final String MODEL = "criteo:w";
    private static final String PULL = """
        local m, ks = KEYS[1], ARGV[1]
        local out = {}
        for i = 1, #ks / 4 do
          local k = struct.unpack('<i4', ks, 4 * i - 3)
          out[i] = redis.call('GETRANGE', m, k * 4, k * 4 + 3)
        end
        return table.concat(out)""";
    private static final String PUSH = """
        local m, lr, ks, gs = KEYS[1], tonumber(ARGV[1]), ARGV[2], ARGV[3]
        for i = 1, #ks / 4 do
          local k = struct.unpack('<i4', ks, 4 * i - 3)
          local g = struct.unpack('<f', gs, 4 * i - 3)
          local w = struct.unpack('<f', redis.call('GETRANGE', m, k * 4, k * 4 + 3))
          redis.call('SETRANGE', m, k * 4, struct.pack('<f', w - lr * g))
        end
        return #ks / 4""";

    private final RespClient redis;
    private final String pullSha;
    private final String pushSha;

    RedisStringSession(InetSocketAddress server) {
      try {
        redis = new RespClient(server);
        pullSha = new String((byte[]) redis.call("SCRIPT", "LOAD", PULL), StandardCharsets.US_ASCII);
        pushSha = new String((byte[]) redis.call("SCRIPT", "LOAD", PUSH), StandardCharsets.US_ASCII);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    static void createModel(InetSocketAddress server) throws IOException {
      try (RespClient redis = new RespClient(server)) {
        redis.call("SETRANGE", MODEL, String.valueOf((4 << MODEL_BITS) - 1), new byte[1]); // 2 MiB of zeros
      }
    }

    @Override
    public void pull(int batch) throws Exception {
      byte[] packed = (byte[]) redis.call("EVALSHA", pullSha, "1", MODEL, packInts(traffic.keys[batch]));
      float[] w = new float[traffic.keys[batch].length];
      ByteBuffer.wrap(packed).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(w);
    }

    @Override
    public void push(int batch) throws Exception {
      redis.call("EVALSHA", pushSha, "1", MODEL, String.valueOf(LEARNING_RATE), packInts(traffic.keys[batch]),
          packFloats(traffic.gradients[batch]));
    }

    @Override
    public long wireBytes() {
      return redis.wireBytes();
    }

    @Override
    public void close() throws IOException {
      redis.close();
    }
  }

  /** The model as a Redis hash of decimal floats: HMGET to pull, a Lua loop of HINCRBYFLOAT to push. */
  private final class RedisHashSession implements Session {
    private static final String MODEL = "criteo:h";
    private static final String PUSH = """
        local m, lr = KEYS[1], tonumber(ARGV[1])
        for i = 2, #ARGV, 2 do
          redis.call('HINCRBYFLOAT', m, ARGV[i], -lr * tonumber(ARGV[i + 1]))
        end
        return (#ARGV - 1) / 2""";

    private final RespClient redis;
    private final String pushSha;

    RedisHashSession(InetSocketAddress server) {
      try {
        redis = new RespClient(server);
        pushSha = new String((byte[]) redis.call("SCRIPT", "LOAD", PUSH), StandardCharsets.US_ASCII);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void pull(int batch) throws Exception {
      int[] keys = traffic.keys[batch];
      List<Object> args = new ArrayList<>(keys.length + 2);
      args.add("HMGET");
      args.add(MODEL);
      for (int key : keys) {
        args.add(key);
      }
      redis.command(args.toArray());
      redis.flush();
      List<?> values = (List<?>) redis.read();
      float[] w = new float[keys.length];
      for (int i = 0; i < w.length; i++) {
        Object v = values.get(i);
        w[i] = v == null ? 0f : Float.parseFloat(new String((byte[]) v, StandardCharsets.US_ASCII));
      }
    }

    @Override
    public void push(int batch) throws Exception {
      int[] keys = traffic.keys[batch];
      float[] gradient = traffic.gradients[batch];
      List<Object> args = new ArrayList<>(2 * keys.length + 5);
      args.addAll(List.of("EVALSHA", pushSha, "1", MODEL, String.valueOf(LEARNING_RATE)));
      for (int i = 0; i < keys.length; i++) {
        args.add(keys[i]);
        args.add(gradient[i]);
      }
      redis.command(args.toArray());
      redis.flush();
      redis.read();
    }

    @Override
    public long wireBytes() {
      return redis.wireBytes();
    }

    @Override
    public void close() throws IOException {
      redis.close();
    }
  }

  /** Our frames' sizes, echoed: a pull request and its reply, then a push request and its reply. */
  private final class EchoSession implements Session {
    private final Socket socket;
    private final DataOutputStream out;
    private final DataInputStream in;
    private final byte[] buffer = new byte[1 << 16];
    private long bytes;

    EchoSession(int port) {
      try {
        socket = new Socket("127.0.0.1", port);
        socket.setTcpNoDelay(true);
        out = new DataOutputStream(socket.getOutputStream());
        in = new DataInputStream(socket.getInputStream());
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    private void roundTrip(int requestBytes, int replyBytes) throws IOException {
      ByteBuffer request = ByteBuffer.wrap(buffer, 0, requestBytes);
      request.putInt(requestBytes - 4).putInt(replyBytes);
      out.write(buffer, 0, requestBytes);
      in.readFully(buffer, 0, replyBytes);
      bytes += requestBytes + replyBytes;
    }

    @Override
    public void pull(int batch) throws IOException {
      int keys = traffic.keys[batch].length;
      int keyBytes = KeyEncodings.deltaVarintBytes(traffic.keys[batch]);
      roundTrip(4 + 6 + 4 + keyBytes, 4 + 6 + 4 * keys);
    }

    @Override
    public void push(int batch) throws IOException {
      int keys = traffic.keys[batch].length;
      int keyBytes = KeyEncodings.deltaVarintBytes(traffic.keys[batch]);
      roundTrip(4 + 6 + 4 + 1 + keyBytes + 4 * keys, 4 + 6);
    }

    @Override
    public long wireBytes() {
      return bytes;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private static byte[] packInts(int[] values) {
    ByteBuffer packed = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    packed.asIntBuffer().put(values);
    return packed.array();
  }

  private static byte[] packFloats(float[] values) {
    ByteBuffer packed = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    packed.asFloatBuffer().put(values);
    return packed.array();
  }
}
