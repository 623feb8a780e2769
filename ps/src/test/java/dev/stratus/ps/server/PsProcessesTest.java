package dev.stratus.ps.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.jvm.LinuxProcesses;
import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.client.PsClient;
import dev.stratus.ps.client.PsModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PsProcessesTest {

  @Test
  void shardProcessesServeAndAreGoneAfterClose() throws Exception {
    long[] pids = new long[2];
    try (PsProcesses processes = PsProcesses.start(2, ShardConfig.of(Shards.SECRET), "128m");
        PsClient ps = PsClient.connect(processes.addresses(), Shards.SECRET)) {
      pids[0] = processes.pid(0);
      pids[1] = processes.pid(1);
      PsModel model = ps.createModel("v", ModelSpec.vector(6).learningRate(1f));
      ps.push(model, new int[] {0, 63}, new float[] {-1, -2}).get();
      assertArrayEquals(new float[] {1, 2}, ps.pull(model, new int[] {0, 63}).get());
      var metrics = ps.metrics().get();
      assertEquals(0, metrics.get(0).shard());
      assertEquals(1, metrics.get(1).shard());
    }
    for (long pid : pids) {
      Optional<ProcessHandle> process = ProcessHandle.of(pid);
      assertFalse(process.isPresent() && process.get().isAlive(), "shard process " + pid + " still runs");
    }
  }

  @Test
  void shardProcessesServeTlsWithTheJobsCertificate() throws Exception {
    try (PsProcesses processes = PsProcesses.start(2, ShardConfig.of(Shards.SECRET).tlsSelfSigned(), "128m");
        PsClient ps = PsClient.connect(processes.addresses(), processes.access(), 1)) {
      assertTrue(processes.access().usesTls());
      PsModel model = ps.createModel("v", ModelSpec.vector(6).learningRate(1f));
      ps.push(model, new int[] {0, 63}, new float[] {-1, -2}).get();
      assertArrayEquals(new float[] {1, 2}, ps.pull(model, new int[] {0, 63}).get());
      // read whole: ProcessHandle.Info cuts a command line as long as a class path
      String commandLine = String.join(" ", LinuxProcesses.commandLine(processes.pid(0)));
      assertFalse(commandLine.isEmpty(), "the shard's command line, from /proc");
      assertTrue(commandLine.contains("--tls-key-env STRATUS_PS_TLS_KEY"), commandLine);
      assertFalse(commandLine.contains("PRIVATE KEY"), "the key is not on the command line: " + commandLine);
    }
  }

  /**
   * A shard process starts from the class-data archive of its code that an earlier shard process recorded as it was
   * stopped (in this build's first shard, or before it), as its memory map shows.
   */
  @Test
  void aShardProcessStartsFromTheClassesAnEarlierShardProcessRecorded() throws Exception {
    Path classData = Path.of(System.getProperty("java.io.tmpdir"), "stratus-shard-class-data");
    List<Path> before = archivesIn(classData);
    boolean firstMapped;
    try (PsProcesses first = PsProcesses.start(1, ShardConfig.of(Shards.SECRET), "128m")) {
      firstMapped = !mappedArchives(first.pid(0), classData).isEmpty();
    }
    // else it recorded one, moved into place just after its process ended
    for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        !firstMapped && before.containsAll(archivesIn(classData)) && System.nanoTime() < deadline; ) {
      Thread.sleep(50);
    }
    try (PsProcesses next = PsProcesses.start(1, ShardConfig.of(Shards.SECRET), "128m")) {
      List<String> mapped = mappedArchives(next.pid(0), classData);
      assertEquals(1, mapped.size(), "the shard maps one archive of " + classData + ": " + mapped);
    }
  }

  /** The archives in {@code classData} that process {@code pid} has mapped. */
  private static List<String> mappedArchives(long pid, Path classData) throws IOException {
    return Files.readAllLines(Path.of("/proc", String.valueOf(pid), "maps")).stream()
        .map(line -> line.substring(line.lastIndexOf(' ') + 1))
        .filter(file -> file.startsWith(classData.toString()) && file.endsWith(".jsa"))
        .distinct()
        .toList();
  }

  private static List<Path> archivesIn(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(file -> file.toString().endsWith(".jsa")).toList();
    }
  }
}
