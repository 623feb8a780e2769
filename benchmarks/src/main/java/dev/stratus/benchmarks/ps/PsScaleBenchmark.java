package dev.stratus.benchmarks.ps;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.stratus.benchmarks.Machine;
import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import dev.stratus.ps.server.PsProcesses;
import dev.stratus.ps.server.ShardConfig;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One shard serving many concurrent workers on loopback, each with its own {@link PsClient} (so its own connection
 * and worker id, as a Lambda invocation has), each pulling a Criteo-shaped minibatch's keys (about 700 of a 2^19
 * model) and pushing a gradient for them, over and over. Three ways of calling, each at its own worker counts:
 *
 * <ul>
 *   <li><b>callbacks</b> (1, 64, 512, 4,096 workers): a worker's pull completes on its connection's reader thread,
 *       whose callback sends the push, whose callback sends the next pull; no thread per worker.
 *   <li><b>blocking</b> (64, 4,096): a thread per worker calling {@code pull(...).join()} then
 *       {@code push(...).join()}, as a training program does; the caller reads its own reply off the socket.
 *   <li><b>blocking, woken</b> (64): the same threads waiting with a timed {@code get}, which the client does not
 *       read on the caller's thread: the connection's reader completes the call and wakes the caller, as the
 *       thread-per-connection client before it did. The baseline for blocking.
 * </ul>
 *
 * <p>The shard is a separate JVM, as in {@code exec:java@ps}. Per mode and worker count: aggregate iterations (a pull
 * and a push) per second, pull and push p50/p99 latency, and this process's CPU seconds per thousand iterations, over
 * the median of 3 rounds (by iterations per second) of the measured time, each after a warm-up. File descriptors:
 * this process needs one per worker; where its limit is lower, the counts are capped and the output says so.
 *
 * <p>Run: {@code mvn -q install -DskipTests && mvn -q -pl benchmarks exec:java@ps-scale}; optional arguments: seconds
 * measured per round (default 2), then the modes to run, comma-separated (default
 * {@code callbacks,blocking,woken}).
 */
public final class PsScaleBenchmark {
  private static final int MODEL_BITS = 19;
  /** How workers call, and at which worker counts. */
  enum Mode {
    CALLBACKS("callbacks", 1, 64, 512, 4096),
    BLOCKING("blocking", 64, 4096),
    WOKEN("blocking, woken", 64);

    final String label;
    final int[] workers;

    Mode(String label, int... workers) {
      this.label = label;
      this.workers = workers;
    }
  }

  private static final String SECRET = "benchmark-secret";
  private static final int ROUNDS = 3;
  private static final double WARMUP_SECONDS = 1;

  private final CriteoTraffic traffic = new CriteoTraffic(4096, MODEL_BITS, 2024);
  private final double seconds;

  private PsScaleBenchmark(double seconds) {
    this.seconds = seconds;
  }

  record Result(Mode mode, int workers, double iterationsPerSecond, double pullP50, double pullP99, double pushP50,
      double pushP99, int shardConnections, double cpuMillisPerThousand) {}

  public static void main(String[] args) throws Exception {
    List<Mode> modes = new ArrayList<>();
    for (String name : (args.length > 1 ? args[1] : "callbacks,blocking,woken").split(",")) {
      modes.add(Mode.valueOf(name.trim().toUpperCase(Locale.ROOT)));
    }
    Machine.printLoad("at the start");
    new PsScaleBenchmark(args.length > 0 ? Double.parseDouble(args[0]) : 2).run(modes);
    Machine.printLoad("at the end");
  }

  private void run(List<Mode> modes) throws Exception {
    int allowed = workersTheFdLimitAllows();
    System.out.printf(Locale.ROOT, "Criteo-shaped traffic: %.0f distinct keys per minibatch of a 2^%d model; one "
            + "shard process (%d cores here); per worker count the median of %d rounds of %.1f s after %.1f s of "
            + "warm-up%n", traffic.meanKeys(), MODEL_BITS, Runtime.getRuntime().availableProcessors(), ROUNDS,
        seconds, WARMUP_SECONDS);
    List<Result> results = new ArrayList<>();
    try (PsProcesses shard = PsProcesses.start(1, ShardConfig.of(SECRET), "2g");
        PsClient admin = PsClient.connect(shard.addresses(), SECRET)) {
      PsModel model = admin.createModel("criteo", ModelSpec.vector(MODEL_BITS).learningRate(0.05f));
      for (Mode mode : modes) {
        for (int wanted : mode.workers) {
          int workers = Math.min(wanted, allowed);
          List<PsClient> clients = new ArrayList<>();
          try {
            for (int w = 0; w < workers; w++) {
              clients.add(PsClient.connect(shard.addresses(), SECRET, w + 1));
            }
            int connections = admin.metrics().get().get(0).connections();
            measure(mode, clients, model, 1); // warm-up, and every connection served once before anything counts
            List<Result> rounds = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
              rounds.add(measure(mode, clients, model, connections));
            }
            rounds.sort(Comparator.comparingDouble(Result::iterationsPerSecond));
            results.add(rounds.get(ROUNDS / 2));
          } finally {
            clients.forEach(PsClient::close);
          }
        }
      }
    }
    print(results);
  }

  /** One round: every worker runs its pull-push loop for the warm-up, then for the measured time. */
  private Result measure(Mode mode, List<PsClient> clients, PsModel model, int shardConnections) throws Exception {
    int n = clients.size();
    long start = System.nanoTime();
    long measureFrom = start + (long) (WARMUP_SECONDS * 1e9);
    long measureTo = measureFrom + (long) (seconds * 1e9);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(n);
    List<SimulatedWorker> workers = new ArrayList<>();
    for (int w = 0; w < n; w++) {
      workers.add(new SimulatedWorker(clients.get(w), model, w * 997, measureFrom, measureTo, failure, done));
    }
    long cpuBefore = PsBenchmark.ownCpuNanos();
    for (SimulatedWorker worker : workers) {
      if (mode == Mode.CALLBACKS) {
        worker.pull();
      } else {
        Thread thread = new Thread(() -> worker.loop(mode == Mode.WOKEN), "worker");
        thread.setDaemon(true);
        thread.start();
      }
    }
    if (!done.await((long) (WARMUP_SECONDS + seconds + 120), TimeUnit.SECONDS)) {
      throw new IllegalStateException(done.getCount() + " of " + n + " workers never finished their round");
    }
    long cpuNanos = PsBenchmark.ownCpuNanos() - cpuBefore;
    if (failure.get() != null) {
      throw new IllegalStateException(n + " workers failed", failure.get());
    }
    long iterations = workers.stream().mapToLong(w -> w.measured.count()).sum();
    long allIterations = workers.stream().mapToLong(w -> w.allIterations).sum();
    long[] pulls = workers.stream().flatMapToLong(w -> w.measured.pulls()).sorted().toArray();
    long[] pushes = workers.stream().flatMapToLong(w -> w.measured.pushes()).sorted().toArray();
    return new Result(mode, n, iterations / seconds, micros(pulls, 0.5), micros(pulls, 0.99), micros(pushes, 0.5),
        micros(pushes, 0.99), shardConnections, cpuNanos / 1e6 / Math.max(1, allIterations) * 1000);
  }

  /** One worker's loop, driven by its replies: pull, then push, then the next pull, until the round ends. */
  private final class SimulatedWorker {
    private final PsClient client;
    private final PsModel model;
    private final long measureFrom;
    private final long measureTo;
    private final AtomicReference<Throwable> failure;
    private final CountDownLatch done;
    private int batch;
    private long pullStart;
    private long pushStart;
    final RoundTrips measured = new RoundTrips(64);
    long allIterations; // warm-up's too, for CPU per iteration over the whole round

    SimulatedWorker(PsClient client, PsModel model, int firstBatch, long measureFrom, long measureTo,
        AtomicReference<Throwable> failure, CountDownLatch done) {
      this.client = client;
      this.model = model;
      this.batch = firstBatch;
      this.measureFrom = measureFrom;
      this.measureTo = measureTo;
      this.failure = failure;
      this.done = done;
    }

    /** The blocking loop: pull, then push, each waited for on this thread until the round ends. */
    void loop(boolean woken) {
      try {
        while (true) {
          long start = System.nanoTime();
          if (start >= measureTo || failure.get() != null) {
            break;
          }
          int b = batch % traffic.keys.length;
          await(client.pull(model, traffic.keys[b]), woken);
          long pushed = System.nanoTime();
          await(client.push(model, traffic.keys[b], traffic.gradients[b]), woken);
          record(start, pushed, System.nanoTime());
          batch++;
        }
      } catch (Throwable e) {
        failure.compareAndSet(null, e);
      } finally {
        done.countDown();
      }
    }

    /** A join reads the reply on this thread; a timed get waits for the connection's reader to hand it over. */
    private static void await(CompletableFuture<?> call, boolean woken) throws Exception {
      if (woken) {
        call.get(1, TimeUnit.HOURS);
      } else {
        call.join();
      }
    }

    private void record(long pullStart, long pushStart, long end) {
      allIterations++;
      if (pullStart >= measureFrom && end <= measureTo) {
        measured.add(pushStart - pullStart, end - pushStart);
      }
    }

    void pull() {
      pullStart = System.nanoTime();
      if (pullStart >= measureTo || failure.get() != null) {
        done.countDown();
        return;
      }
      int b = batch % traffic.keys.length;
      client.pull(model, traffic.keys[b]).whenComplete((weights, error) -> {
        if (error != null) {
          fail(error);
        } else {
          push(b);
        }
      });
    }

    private void push(int b) {
      pushStart = System.nanoTime();
      client.push(model, traffic.keys[b], traffic.gradients[b]).whenComplete((v, error) -> {
        if (error != null) {
          fail(error);
          return;
        }
        record(pullStart, pushStart, System.nanoTime());
        batch++;
        pull();
      });
    }

    private void fail(Throwable error) {
      failure.compareAndSet(null, error);
      done.countDown();
    }
  }

  /** One descriptor per worker's connection, beside what the JVM and Maven hold. */
  private static int workersTheFdLimitAllows() {
    int most = Arrays.stream(Mode.values()).flatMapToInt(m -> Arrays.stream(m.workers)).max().orElseThrow();
    if (!(ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os)) {
      return most;
    }
    long free = os.getMaxFileDescriptorCount() - os.getOpenFileDescriptorCount() - 256;
    if (free < most) {
      System.out.printf("This process may open %d file descriptors (%d open): at most %d workers instead of %d. "
          + "Raise the limit (ulimit -n) to measure all.%n", os.getMaxFileDescriptorCount(),
          os.getOpenFileDescriptorCount(), free, most);
      return (int) Math.max(1, free);
    }
    return most;
  }

  /** The two ratios for blocking clients, when their runs are there. */
  private static void printRatios(List<Result> results) {
    Result blocking64 = find(results, Mode.BLOCKING, 64);
    Result woken64 = find(results, Mode.WOKEN, 64);
    Result blocking4096 = find(results, Mode.BLOCKING, 4096);
    if (blocking64 != null && woken64 != null) {
      System.out.printf(Locale.ROOT, "%nblocking/woken at 64 workers: %.2fx iterations/s, %.2fx client CPU per "
              + "iteration%n", blocking64.iterationsPerSecond() / woken64.iterationsPerSecond(),
          blocking64.cpuMillisPerThousand() / woken64.cpuMillisPerThousand());
    }
    if (blocking64 != null && blocking4096 != null) {
      System.out.printf(Locale.ROOT, "blocking %d workers / 64 workers: %.2fx aggregate iterations/s%n",
          blocking4096.workers(), blocking4096.iterationsPerSecond() / blocking64.iterationsPerSecond());
    }
  }

  private static Result find(List<Result> results, Mode mode, int workers) {
    return results.stream().filter(r -> r.mode() == mode && r.workers() == workers).findFirst().orElse(null);
  }

  private static double micros(long[] sortedNanos, double quantile) {
    if (sortedNanos.length == 0) {
      return Double.NaN;
    }
    return sortedNanos[(int) Math.min(sortedNanos.length - 1, quantile * sortedNanos.length)] / 1e3;
  }

  private static void print(List<Result> results) {
    System.out.printf(Locale.ROOT, "%n%-16s %8s %12s %12s %10s %10s %10s %10s %14s%n", "mode", "workers",
        "connections", "iter/s", "pull p50", "pull p99", "push p50", "push p99", "client CPU ms");
    for (Result r : results) {
      System.out.printf(Locale.ROOT, "%-16s %8d %12d %,12.0f %9.0fu %9.0fu %9.0fu %9.0fu %14.1f%n", r.mode().label,
          r.workers(), r.shardConnections(), r.iterationsPerSecond(), r.pullP50(), r.pullP99(), r.pushP50(),
          r.pushP99(), r.cpuMillisPerThousand());
    }
    printRatios(results);
    System.out.println("""

        mode:          callbacks: each reply's callback sends the next call, no thread per worker; blocking: a
                       thread per worker joining each call, reading its reply itself; blocking, woken: the same
                       threads woken by the connection's reader (how the thread-per-connection client waited).
        workers:       simulated workers, each its own PsClient (own connection), each looping pull -> push.
        connections:   the shard's open connections during the round, as its metrics report (workers + 1 admin).
        iter/s:        pull+push iterations completed per second by all workers together.
        p50/p99:       latency of one call from send to completion, over every call of the round.
        client CPU ms: this (the workers') process's CPU milliseconds per thousand iterations, over the round.""");
  }
}
