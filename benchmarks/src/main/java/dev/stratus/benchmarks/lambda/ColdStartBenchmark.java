package dev.stratus.benchmarks.lambda;

import dev.stratus.benchmarks.Machine;
import dev.stratus.benchmarks.ProcessTreeCpu;
import dev.stratus.benchmarks.Rounds;
import dev.stratus.dsl.LoadCriteo;
import dev.stratus.dsl.Normalize;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetCoder;
import dev.stratus.kernels.generate.CriteoGenerator;
import dev.stratus.runner.lambda.LambdaRunner;
import dev.stratus.runner.lambda.LambdaRunnerOptions;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;

/**
 * What a cold start costs a LambdaRunner job on the embedded local Lambda service, with and without the class-data
 * archive its environments start from (LambdaRunner's {@code --localClassData}): a small load + normalize (two
 * pipelines, two input files, environments two at once) on a service started anew for each run, so every
 * environment is cold, then stopped. Wall time of the two pipelines and CPU time of every process (the driver, the
 * environments, their JVMs' start), measured in alternating rounds; ratios are with the archive over without it, the
 * median of the rounds. A first run records the archive if this host has none for these classes yet, and is not
 * counted.
 *
 * <pre>mvn -q -pl benchmarks exec:java@cold-start [-Dexec.args="ROUNDS ROWS"]</pre>
 */
public final class ColdStartBenchmark {
  private static final int FILES = 2;

  private ColdStartBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    Machine.printLoad("at the start");
    Path work = Files.createTempDirectory("cold-start-");
    try {
      Path input = work.resolve("input");
      Files.createDirectories(input);
      for (int f = 0; f < FILES; f++) {
        CriteoGenerator.withSeed(f).writeTsv(input.resolve("part-" + f + ".tsv"), rows / FILES);
      }
      System.out.printf("LambdaRunner, embedded local Lambda service started anew each run (process environments, 2"
          + " at once): LoadCriteo of %,d rows in %d files, then Normalize.minMax%n%n", rows, FILES);
      Run recording = run(work, true, "recording");
      System.out.printf("first run with archives (records one if none matches): %.2f s wall, %.2f CPU s%n%n",
          recording.seconds(), recording.cpuSeconds());
      System.out.println("| round | archive | wall s | CPU s, all processes |");
      System.out.println("|---|---|---:|---:|");
      List<Double> wallRatios = new ArrayList<>();
      List<Double> cpuRatios = new ArrayList<>();
      for (int round = 1; round <= rounds; round++) {
        // the order alternates, so neither side always runs on a machine the other just warmed
        boolean archiveFirst = round % 2 == 1;
        Run first = run(work, archiveFirst, "round-" + round + "-a");
        Run second = run(work, !archiveFirst, "round-" + round + "-b");
        Run with = archiveFirst ? first : second;
        Run without = archiveFirst ? second : first;
        System.out.printf("| %d | yes | %.2f | %.2f |%n| %d | no | %.2f | %.2f |%n", round, with.seconds(),
            with.cpuSeconds(), round, without.seconds(), without.cpuSeconds());
        wallRatios.add(with.seconds() / without.seconds());
        cpuRatios.add(with.cpuSeconds() / without.cpuSeconds());
      }
      System.out.printf("%nwith archive / without, median of %d rounds: wall %.2fx, CPU of all processes %.2fx%n",
          rounds, Rounds.median(wallRatios), Rounds.median(cpuRatios));
      Machine.printLoad("at the end");
    } finally {
      try (Stream<Path> paths = Files.walk(work)) {
        paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
    System.exit(0);
  }

  private record Run(double seconds, double cpuSeconds) {}

  /** Both pipelines on a new local service, then the service stopped: wall time and CPU of all processes. */
  private static Run run(Path work, boolean classData, String name) {
    LambdaRunnerOptions options = PipelineOptionsFactory.fromArgs("--runner=LambdaRunner",
        "--dataDir=" + work.resolve("store"), "--bucket=cold", "--maxConcurrency=2").as(LambdaRunnerOptions.class);
    options.setLocalClassData(classData);
    double cpuBefore = ProcessTreeCpu.seconds();
    long start = System.nanoTime();
    String location = "s3://cold/datasets/" + name;
    Pipeline load = Pipeline.create(options);
    load.apply(LoadCriteo.from(work.resolve("input") + "/part-*.tsv").modelBits(18).to(location));
    load.run().waitUntilFinish();
    Dataset loaded = Dataset.open(ObjectStore.of(StoreOptions.spec(options)), S3Path.parse(location));
    Pipeline normalize = Pipeline.create(options);
    normalize.apply(Create.of(loaded).withCoder(DatasetCoder.of())).apply(Normalize.minMax());
    normalize.run().waitUntilFinish();
    LambdaRunner.stopLocalServices();
    return new Run((System.nanoTime() - start) / 1e9, ProcessTreeCpu.seconds() - cpuBefore);
  }
}
