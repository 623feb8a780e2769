package dev.stratus.benchmarks.ps;

import dev.stratus.benchmarks.Machine;
import dev.stratus.benchmarks.Rounds;
import dev.stratus.jvm.LinuxProcesses;
import dev.stratus.ps.server.PsProcesses;
import dev.stratus.ps.server.ShardConfig;
import dev.stratus.store.EmbeddedS3Server;
import dev.stratus.store.S3Path;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * How long a training's shard process takes to listen as its driver starts it, and the CPU it used by then, four
 * ways: restoring from a checkpoint in the embedded S3 server first (a resumed training's shards, a restarted shard)
 * or fresh (a new training's: it listens without reading the checkpoint and makes its store client in the background);
 * each from the class-data archive an earlier shard process of this code recorded (the default since 2026-12-07), and
 * with the JDK's own archive alone, as before (every class of the shard's code loaded, parsed and verified). One shard,
 * the four in turn each round after one start that records the archive; the ratios are the medians'.
 *
 * <pre>mvn -q -pl benchmarks exec:java@shard-start [-Dexec.args="ROUNDS"]</pre>
 */
public final class ShardStartBenchmark {
  private static final String SECRET = "shard-start-benchmark";
  /** Class-data sharing as a JVM has it by default: the JDK's classes only. */
  private static final List<String> JDK_ARCHIVE_ONLY = List.of("-XX:SharedArchiveFile="
      + Path.of(System.getProperty("java.home"), "lib", "server", "classes.jsa"));

  private ShardStartBenchmark() {}

  /** A start's seconds to listen and its process's CPU-seconds then. */
  private record Start(double seconds, double cpuSeconds) {}

  /** One way to start, and its starts so far. */
  private record Way(String name, boolean fresh, List<String> jvmOptions, List<Start> starts) {
    Way(String name, boolean fresh, List<String> jvmOptions) {
      this(name, fresh, jvmOptions, new ArrayList<>());
    }

    double median(Function<Start, Double> of) {
      return Rounds.median(starts.stream().map(of).toList());
    }
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    Machine.printLoad("at the start");
    List<Way> ways = List.of(new Way("restoring, code's archive", false, List.of()),
        new Way("restoring, JDK's archive only", false, JDK_ARCHIVE_ONLY),
        new Way("fresh, code's archive", true, List.of()),
        new Way("fresh, JDK's archive only", true, JDK_ARCHIVE_ONLY));
    Path dir = Files.createTempDirectory("shard-start-");
    try (EmbeddedS3Server store = EmbeddedS3Server.start(dir)) {
      ShardConfig recording = ShardConfig.of(SECRET).checkpoint(S3Path.parse("s3://shard-start/first/"), store.spec());
      start(recording, ways.get(0)); // records the archive of this code if none was recorded yet
      StringBuilder header = new StringBuilder("| round |");
      StringBuilder rule = new StringBuilder("|---|");
      for (Way way : ways) {
        header.append(' ').append(way.name()).append(": s to listen | CPU-s |");
        rule.append("---:|---:|");
      }
      System.out.println(header + "\n" + rule);
      for (int round = 0; round < rounds; round++) {
        ShardConfig config = ShardConfig.of(SECRET)
            .checkpoint(S3Path.parse("s3://shard-start/round-" + round + "/"), store.spec());
        StringBuilder row = new StringBuilder("| " + (round + 1) + " |");
        for (Way way : ways) {
          Start start = start(config, way);
          way.starts().add(start);
          row.append(String.format(Locale.ROOT, " %.3f | %.2f |", start.seconds(), start.cpuSeconds()));
        }
        System.out.println(row);
      }
    }
    System.out.println();
    for (Way way : ways) {
      System.out.printf(Locale.ROOT, "median %s: %.3f s, %.2f CPU-s%n", way.name(), way.median(Start::seconds),
          way.median(Start::cpuSeconds));
    }
    for (int fresh = 0; fresh < 2; fresh++) {
      Way archived = ways.get(2 * fresh);
      Way jdkOnly = ways.get(2 * fresh + 1);
      System.out.printf(Locale.ROOT, "%s, code's archive over JDK's only: wall %.2fx, CPU %.2fx%n",
          fresh == 0 ? "restoring" : "fresh", archived.median(Start::seconds) / jdkOnly.median(Start::seconds),
          archived.median(Start::cpuSeconds) / jdkOnly.median(Start::cpuSeconds));
    }
    System.out.printf(Locale.ROOT, "code's archive, fresh over restoring: wall %.2fx%n",
        ways.get(2).median(Start::seconds) / ways.get(0).median(Start::seconds));
    Machine.printLoad("at the end");
    System.exit(0);
  }

  /** A shard started {@code way}: seconds from asking for the process to its listening, then stopped. */
  private static Start start(ShardConfig config, Way way) {
    long began = System.nanoTime();
    try (PsProcesses processes = way.fresh()
        ? PsProcesses.startFresh(1, config, "256m", way.jvmOptions())
        : PsProcesses.start(1, config, "256m", way.jvmOptions(), List.of(), null)) {
      double seconds = (System.nanoTime() - began) / 1e9;
      return new Start(seconds, LinuxProcesses.cpuSecondsWithReapedChildren(processes.pid(0)));
    }
  }
}
