package dev.stratus.benchmarks.ps;

import dev.stratus.benchmarks.Machine;
import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import dev.stratus.ps.server.AbusiveClients;
import dev.stratus.ps.server.PsProcesses;
import dev.stratus.ps.server.ShardConfig;
import dev.stratus.ps.server.WellBehavedWorker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * A well-behaved worker's pull/push p99 latency with and without abusers beside it ({@link AbusiveClients}: 100,000
 * random and mutated frames over about 20 seconds, slow, half-open and non-reading clients), against one shard in a
 * process of its own. Each repeat measures the worker alone, under abuse, then alone again (the machine's load
 * drifts), and reports the ratio of the abused p99 to the alone p99 of that repeat; also the shard's resident memory
 * before and at the end of the abuse (all abusive connections still open), and how many slow clients without the
 * secret the shard dropped at its handshake timeout.
 *
 * <p>The abusers run on this machine's cores beside the shard and the worker, so the ratio counts their CPU share as
 * well as the shard's isolation of well-behaved connections.
 *
 * <p>Run: {@code mvn -q install -DskipTests && mvn -q -pl benchmarks exec:java@ps-fuzz}; optional argument: repeats
 * (default 3).
 */
public final class PsFuzzBenchmark {
  private static final int MODEL_BITS = 19;
  private static final int HELLO_TIMEOUT_MS = 3000;
  /** The fuzzing threads' frames paced over this long: 5,000 a second. */
  private static final double ABUSE_SECONDS = 20;
  private static final int ROUNDS_ALONE = 9;

  private PsFuzzBenchmark() {}

  private record Repeat(double aloneP99Micros, double abusedP99Micros, int frames, int connections, long rssBeforeMb,
      long rssAbusedMb, int slowDropped) {
    double ratio() {
      return abusedP99Micros / aloneP99Micros;
    }
  }

  public static void main(String[] args) throws Exception {
    int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    if (repeats < 1) {
      throw new IllegalArgumentException("repeats must be at least 1, got " + repeats);
    }
    double loadAtStart = Machine.loadAverage();
    String secret = HexFormat.of().formatHex(SecureRandom.getInstanceStrong().generateSeed(16));
    ShardConfig config = ShardConfig.of(secret).maxFrameBytes(1 << 20).kvMaxBytes(16 << 20)
        .limits(ShardConfig.Limits.DEFAULT.helloTimeoutMillis(HELLO_TIMEOUT_MS).modelsMaxBytes(16 << 20));
    List<Repeat> repeatsDone = new ArrayList<>();
    try (PsProcesses shard = PsProcesses.start(1, config, "1g");
        PsClient ps = PsClient.connect(shard.addresses(), secret)) {
      PsModel model = ps.createModel("fuzzed", ModelSpec.vector(MODEL_BITS));
      WellBehavedWorker worker = new WellBehavedWorker(ps, model, MODEL_BITS);
      worker.rounds(8); // warm-up: compiles both sides' hot paths
      for (int r = 0; r < repeats; r++) {
        repeatsDone.add(repeat(shard, secret, worker));
        Repeat last = repeatsDone.get(r);
        System.out.printf(Locale.ROOT, "repeat %d: p99 %.0f us alone, %.0f us under abuse (%.2fx)%n", r + 1,
            last.aloneP99Micros(), last.abusedP99Micros(), last.ratio());
      }
    }
    print(repeatsDone, loadAtStart);
  }

  private static Repeat repeat(PsProcesses shard, String secret, WellBehavedWorker worker) throws Exception {
    List<Double> alone = new ArrayList<>(worker.rounds(ROUNDS_ALONE));
    long rssBefore = residentMb(shard.pid(0));
    AbusiveClients abuse =
        new AbusiveClients(shard.addresses().get(0), secret, MODEL_BITS, HELLO_TIMEOUT_MS, ABUSE_SECONDS);
    List<Double> abused = new ArrayList<>();
    long rssAbused;
    int dropped;
    try {
      abuse.start();
      while (abused.size() < ROUNDS_ALONE || !abuse.framesDone()) {
        abused.addAll(worker.rounds(1));
        abuse.rethrow();
      }
      abuse.awaitFrames();
      rssAbused = residentMb(shard.pid(0));
      dropped = abuse.slowUnauthenticatedDropped();
    } finally {
      abuse.close();
    }
    alone.addAll(worker.rounds(ROUNDS_ALONE));
    return new Repeat(WellBehavedWorker.median(alone) / 1e3, WellBehavedWorker.median(abused) / 1e3, abuse.sent(),
        abuse.connections(), rssBefore, rssAbused, dropped);
  }

  /** The resident memory of process {@code pid}, from /proc (Linux). */
  private static long residentMb(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    throw new IOException("no VmRSS line for process " + pid);
  }

  private static void print(List<Repeat> repeats, double loadAtStart) {
    System.out.printf(Locale.ROOT, "%nOne shard process, a well-behaved worker (pull + push of ~750 keys of 2^%d) beside"
        + " %,d fuzzed frames and %d slow clients of each kind per repeat; %d cores, load average %.1f at start, %.1f"
        + " at the end%n%n", MODEL_BITS, AbusiveClients.FRAMES, AbusiveClients.SLOW_CLIENTS,
        Runtime.getRuntime().availableProcessors(), loadAtStart,
        Machine.loadAverage());
    System.out.println("| repeat | p99 alone us | p99 under abuse us | ratio | frames | connections | shard RSS before MB"
        + " | shard RSS under abuse MB | slow clients without the secret dropped |");
    System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (int r = 0; r < repeats.size(); r++) {
      Repeat x = repeats.get(r);
      System.out.printf(Locale.ROOT, "| %d | %.0f | %.0f | %.2fx | %,d | %,d | %d | %d | %d of %d |%n", r + 1,
          x.aloneP99Micros(), x.abusedP99Micros(), x.ratio(), x.frames(), x.connections(), x.rssBeforeMb(),
          x.rssAbusedMb(), x.slowDropped(), AbusiveClients.SLOW_CLIENTS);
    }
    List<Double> ratios = repeats.stream().map(Repeat::ratio).sorted().toList();
    System.out.printf(Locale.ROOT, "%nmedian ratio of the worker's p99 under abuse to its p99 alone: %.2fx (goal: under"
        + " 2x)%n", ratios.get(ratios.size() / 2));
  }
}
