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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One shard serving many concurrent workers: 1, 64, 512 and 4,096 simulated workers on loopback, each with its own
 * {@link PsClient} (so its own connection and worker id, as a Lambda invocation has), each pulling a Criteo-shaped
 * minibatch's keys (about 700 of a 2^19 model) and pushing a gradient for them, over and over.
 *
 * <p>How the workers are simulated without a thread each: requests are asynchronous. A worker's pull completes on
 * its connection's reader thread (inside {@code PsClient}, parked in the kernel until a reply comes), whose callback
 * sends the push; the push's callback sends the next pull. So no thread blocks per worker between calls, and the
 * load generator's own work is one callback per reply. The shard is a separate JVM, as in {@code exec:java@ps}.
 *
 * <p>Per worker count: aggregate iterations (a pull and a push) per second and pull and push p50/p99 latency over the
 * median of 3 rounds (by iterations per second) of the measured time, each after a warm-up. File descriptors: this
 * process needs one per worker; where its limit is lower, the counts are capped and the output says so.
 *
 * <p>Run: {@code mvn -q install -DskipTests && mvn -q -pl benchmarks exec:java@ps-scale}; optional argument: seconds
 * measured per round (default 2).
 */
public final class PsScaleBenchmark {
  private static final int MODEL_BITS = 19;
  private static final int[] WORKERS = {1, 64, 512, 4096};
  private static final String SECRET = "benchmark-secret";
  private static final int ROUNDS = 3;
  private static final double WARMUP_SECONDS = 1;

  private final CriteoTraffic traffic = new CriteoTraffic(4096, MODEL_BITS, 2024);
  private final double seconds;

  private PsScaleBenchmark(double seconds) {
    this.seconds = seconds;
  }

  record Result(int workers, double iterationsPerSecond, double pullP50, double pullP99, double pushP50,
      double pushP99, int shardConnections) {}

  public static void main(String[] args) throws Exception {
    Machine.printLoad("at the start");
    new PsScaleBenchmark(args.length > 0 ? Double.parseDouble(args[0]) : 2).run();
    Machine.printLoad("at the end");
  }

  private void run() throws Exception {
    int allowed = workersTheFdLimitAllows();
    System.out.printf(Locale.ROOT, "Criteo-shaped traffic: %.0f distinct keys per minibatch of a 2^%d model; one "
            + "shard process (%d cores here); per worker count the median of %d rounds of %.1f s after %.1f s of "
            + "warm-up%n", traffic.meanKeys(), MODEL_BITS, Runtime.getRuntime().availableProcessors(), ROUNDS,
        seconds, WARMUP_SECONDS);
    List<Result> results = new ArrayList<>();
    try (PsProcesses shard = PsProcesses.start(1, ShardConfig.of(SECRET), "2g");
        PsClient admin = PsClient.connect(shard.addresses(), SECRET)) {
      PsModel model = admin.createModel("criteo", ModelSpec.vector(MODEL_BITS).learningRate(0.05f));
      for (int wanted : WORKERS) {
        int workers = Math.min(wanted, allowed);
        List<PsClient> clients = new ArrayList<>();
        try {
          for (int w = 0; w < workers; w++) {
            clients.add(PsClient.connect(shard.addresses(), SECRET, w + 1));
          }
          int connections = admin.metrics().get().get(0).connections();
          measure(clients, model, 1); // warm-up, and every connection served once before anything counts
          List<Result> rounds = new ArrayList<>();
          for (int round = 0; round < ROUNDS; round++) {
            rounds.add(measure(clients, model, connections));
          }
          rounds.sort(Comparator.comparingDouble(Result::iterationsPerSecond));
          results.add(rounds.get(ROUNDS / 2));
        } finally {
          clients.forEach(PsClient::close);
        }
      }
    }
    print(results);
  }

  /** One round: every worker runs its pull-push loop for the warm-up, then for the measured time. */
  private Result measure(List<PsClient> clients, PsModel model, int shardConnections) throws Exception {
    int n = clients.size();
    long start = System.nanoTime();
    long measureFrom = start + (long) (WARMUP_SECONDS * 1e9);
    long measureTo = measureFrom + (long) (seconds * 1e9);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(n);
    List<SimulatedWorker> workers = new ArrayList<>();
    for (int w = 0; w < n; w++) {
      SimulatedWorker worker = new SimulatedWorker(clients.get(w), model, w * 997, measureFrom, measureTo, failure,
          done);
      workers.add(worker);
      worker.pull();
    }
    if (!done.await((long) (WARMUP_SECONDS + seconds + 60), TimeUnit.SECONDS)) {
      throw new IllegalStateException(done.getCount() + " of " + n + " workers never finished their round");
    }
    if (failure.get() != null) {
      throw new IllegalStateException(n + " workers failed", failure.get());
    }
    long iterations = workers.stream().mapToLong(w -> w.iterations).sum();
    long[] pulls = workers.stream().flatMapToLong(w -> Arrays.stream(w.pullNanos, 0, w.samples)).sorted().toArray();
    long[] pushes = workers.stream().flatMapToLong(w -> Arrays.stream(w.pushNanos, 0, w.samples)).sorted()
        .toArray();
    return new Result(n, iterations / seconds, micros(pulls, 0.5), micros(pulls, 0.99), micros(pushes, 0.5),
        micros(pushes, 0.99), shardConnections);
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
    long[] pullNanos = new long[64];
    long[] pushNanos = new long[64];
    int samples;
    long iterations;

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
        long end = System.nanoTime();
        if (pullStart >= measureFrom && end <= measureTo) {
          if (samples == pullNanos.length) {
            pullNanos = Arrays.copyOf(pullNanos, samples * 2);
            pushNanos = Arrays.copyOf(pushNanos, samples * 2);
          }
          pullNanos[samples] = pushStart - pullStart;
          pushNanos[samples] = end - pushStart;
          samples++;
          iterations++;
        }
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
    int most = Arrays.stream(WORKERS).max().orElseThrow();
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

  private static double micros(long[] sortedNanos, double quantile) {
    if (sortedNanos.length == 0) {
      return Double.NaN;
    }
    return sortedNanos[(int) Math.min(sortedNanos.length - 1, quantile * sortedNanos.length)] / 1e3;
  }

  private static void print(List<Result> results) {
    System.out.printf(Locale.ROOT, "%n%8s %12s %12s %10s %10s %10s %10s%n", "workers", "connections", "iter/s",
        "pull p50", "pull p99", "push p50", "push p99");
    for (Result r : results) {
      System.out.printf(Locale.ROOT, "%8d %12d %,12.0f %9.0fu %9.0fu %9.0fu %9.0fu%n", r.workers(),
          r.shardConnections(), r.iterationsPerSecond(), r.pullP50(), r.pullP99(), r.pushP50(), r.pushP99());
    }
    System.out.println("""

        workers:     simulated workers, each its own PsClient (own connection), each looping pull -> push
                     asynchronously (the reply's callback sends the next call), so many share the machine's 2 cores
                     without a thread blocked per worker.
        connections: the shard's open connections during the round, as its metrics report (workers + 1 admin).
        iter/s:      pull+push iterations completed per second by all workers together.
        p50/p99:     latency of one call from send to completion, over every call of the round.""");
  }
}
