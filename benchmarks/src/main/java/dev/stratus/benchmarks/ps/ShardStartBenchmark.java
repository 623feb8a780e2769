package dev.stratus.benchmarks.ps;

import dev.stratus.benchmarks.Machine;
import dev.stratus.benchmarks.Rounds;
import dev.stratus.ps.server.PsProcesses;
import dev.stratus.ps.server.ShardConfig;
import dev.stratus.store.EmbeddedS3Server;
import dev.stratus.store.S3Path;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * How long a training's shard process takes to listen, as its driver starts it: over a checkpoint it first restores
 * from (a resumed training's, and every shard before 2026-12-06), against a fresh one that starts without reading it
 * and makes its store client in the background (a new training's). One shard with a checkpoint in the embedded S3
 * server, the two kinds in alternating rounds; the ratio is the median's, fresh over restoring.
 *
 * <pre>mvn -q -pl benchmarks exec:java@shard-start [-Dexec.args="ROUNDS"]</pre>
 */
public final class ShardStartBenchmark {
  private static final String SECRET = "shard-start-benchmark";

  private ShardStartBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    Machine.printLoad("at the start");
    Path dir = Files.createTempDirectory("shard-start-");
    List<Double> restoring = new ArrayList<>();
    List<Double> fresh = new ArrayList<>();
    try (EmbeddedS3Server store = EmbeddedS3Server.start(dir)) {
      System.out.println("| round | restoring s | fresh s |");
      System.out.println("|---|---:|---:|");
      for (int round = 0; round < rounds; round++) {
        ShardConfig config = ShardConfig.of(SECRET)
            .checkpoint(S3Path.parse("s3://shard-start/round-" + round + "/"), store.spec());
        restoring.add(secondsToListen(() -> PsProcesses.start(1, config, "256m")));
        fresh.add(secondsToListen(() -> PsProcesses.startFresh(1, config, "256m")));
        System.out.printf(Locale.ROOT, "| %d | %.3f | %.3f |%n", round + 1, restoring.get(round), fresh.get(round));
      }
    }
    double restoringMedian = Rounds.median(restoring);
    double freshMedian = Rounds.median(fresh);
    System.out.printf(Locale.ROOT, "%nmedian: restoring %.3f s, fresh %.3f s: fresh / restoring %.2fx%n",
        restoringMedian, freshMedian, freshMedian / restoringMedian);
    Machine.printLoad("at the end");
    System.exit(0);
  }

  /** Seconds from asking for the process to its listening, then stopped. */
  private static double secondsToListen(Supplier<PsProcesses> start) {
    long began = System.nanoTime();
    try (PsProcesses processes = start.get()) {
      return (System.nanoTime() - began) / 1e9;
    }
  }
}
