package dev.stratus.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Real child JVMs running {@link TestChild}; none outlives its test. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChildJvmTest {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
  /** What the JVM's exit code is when a signal ended it: 128 + the signal. */
  private static final int SIGTERM_EXIT = 128 + 15;
  private static final int SIGKILL_EXIT = 128 + 9;

  @AfterEach
  void noChildIsLeftBehind() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (ProcessHandle.current().children().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    List<ProcessHandle> left = ProcessHandle.current().children().filter(ProcessHandle::isAlive).toList();
    left.forEach(ProcessHandle::destroyForcibly);
    assertEquals(List.of(), left, "children left running");
  }

  @Test
  void secretsReachTheChildThroughItsEnvironmentAndInputButNotItsCommandLine() throws Exception {
    String variableSecret = "variable-secret-7f3a";
    String inputSecret = "input-secret-91c2";
    try (ChildProcess child = testChild("secret")
        .environment("SECRET", variableSecret)
        .input((inputSecret + "\n").getBytes(StandardCharsets.UTF_8))
        .readyWhen(TestChild.READY, READY_TIMEOUT)
        .start()) {
      assertEquals(inputSecret + "|" + variableSecret, child.ready());
      ProcessHandle.Info info = ProcessHandle.of(child.pid()).orElseThrow().info();
      String commandLine = String.join(" ", info.arguments().orElseThrow());
      assertTrue(commandLine.contains(TestChild.class.getName()), commandLine);
      assertFalse(commandLine.contains(variableSecret) || commandLine.contains(inputSecret), commandLine);
      assertTrue(child.isAlive());
    }
  }

  @Test
  void aChildThatExitsBeforeItIsReadyFailsWithItsExitCode() {
    IOException failure = assertThrows(IOException.class, () -> testChild("exit", "3")
        .name("the failing child")
        .readyWhen(TestChild.READY, READY_TIMEOUT)
        .start());
    assertEquals("the failing child did not start: it exited with code 3 before printing 'READY'",
        failure.getMessage());
  }

  @Test
  void aChildThatIsNotReadyInTimeIsKilled() {
    IOException failure = assertThrows(IOException.class, () -> testChild("silent")
        .readyWhen(TestChild.READY, Duration.ofSeconds(2))
        .start());
    assertEquals("TestChild did not start: it printed no 'READY' within 2 s", failure.getMessage());
    // noChildIsLeftBehind checks that it was killed
  }

  @Test
  void closeStopsAChildWithSigterm() throws Exception {
    ChildProcess child = testChild("silent").start();
    child.close();
    assertFalse(child.isAlive());
    assertEquals(SIGTERM_EXIT, child.exitCode());
    child.close(); // a second close does nothing
  }

  @Test
  void closeKillsAChildThatIgnoresSigtermAfterItsGrace() throws Exception {
    ChildProcess child = testChild("ignore-sigterm")
        .readyWhen(TestChild.READY, READY_TIMEOUT)
        .stopGrace(Duration.ofSeconds(1))
        .start();
    long start = System.nanoTime();
    child.close();
    double seconds = (System.nanoTime() - start) / 1e9;
    assertFalse(child.isAlive());
    assertEquals(SIGKILL_EXIT, child.exitCode());
    assertTrue(seconds >= 1 && seconds < 10, "closed in " + seconds + " s");
  }

  @Test
  void killEndsAChildAndItsOwnChildrenAtOnce() throws Exception {
    try (ChildProcess child = testChild("spawn").readyWhen(TestChild.READY, READY_TIMEOUT).start()) {
      ProcessHandle grandchild = ProcessHandle.of(Long.parseLong(child.ready())).orElseThrow();
      child.kill();
      assertFalse(child.isAlive());
      assertEquals(SIGKILL_EXIT, child.exitCode());
      grandchild.onExit().get(10, TimeUnit.SECONDS);
      assertFalse(grandchild.isAlive(), "its own child outlived it");
    }
  }

  @Test
  void aChildsOutputIsReadToTheEndSoItNeverBlocks() throws Exception {
    AtomicLong stdoutLines = new AtomicLong();
    AtomicLong stderrLines = new AtomicLong();
    try (ChildProcess child = testChild("flood")
        .stdout(ChildProcess.Output.lines(line -> stdoutLines.incrementAndGet()))
        .stderr(ChildProcess.Output.lines(line -> stderrLines.incrementAndGet()))
        .readyWhen(TestChild.READY, READY_TIMEOUT)
        .start()) {
      assertTrue(child.waitFor(Duration.ofSeconds(30)), "the flooding child did not end");
      assertEquals(0, child.exitCode());
      assertEquals(TestChild.FLOOD_LINES, stdoutLines.get(), "stdout lines after the readiness line");
      assertEquals(TestChild.FLOOD_LINES, stderrLines.get());
    }
  }

  @Test
  void discardedOutputNeverBlocksEither() throws Exception {
    try (ChildProcess child = testChild("flood").output(ChildProcess.Output.discard()).start()) {
      assertTrue(child.waitFor(Duration.ofSeconds(30)), "the flooding child did not end");
      assertEquals(0, child.exitCode());
      assertNull(child.ready());
    }
  }

  @Test
  void aCleanEnvironmentHasOnlyTheVariablesGivenAndPath() throws Exception {
    try (ChildProcess child = testChild("environment")
        .cleanEnvironment()
        .environment(Map.of("ONLY_THIS", "1"))
        .readyWhen(TestChild.READY, READY_TIMEOUT)
        .start()) {
      TreeSet<String> expected = new TreeSet<>(List.of("ONLY_THIS"));
      if (System.getenv("PATH") != null) {
        expected.add("PATH");
      }
      assertEquals(String.join(",", expected), child.ready());
    }
  }

  @Test
  void aChildJvmTakesItsChildrenWithItWhenItEnds() throws Exception {
    try (ChildProcess parent = testChild("parent", "silent").readyWhen(TestChild.READY, READY_TIMEOUT).start()) {
      List<ProcessHandle> grandchildren = grandchildren(parent);
      parent.close();
      assertEquals(SIGTERM_EXIT, parent.exitCode(), "the parent stopped on SIGTERM, not killed with its children");
      for (ProcessHandle grandchild : grandchildren) {
        grandchild.onExit().get(10, TimeUnit.SECONDS);
        assertFalse(grandchild.isAlive(), "a child outlived its parent JVM");
      }
    }
  }

  /**
   * A child JVM killed with SIGKILL runs no shutdown hook, yet its own child JVMs end within seconds: given an input or
   * not, and even when a shutdown hook of theirs never returns.
   */
  @Test
  void aChildJvmsChildrenEndSoonAfterItIsKilled() throws Exception {
    List<ProcessHandle> grandchildren = List.of();
    try (ChildProcess parent =
        testChild("parent", "ignore-sigterm").readyWhen(TestChild.READY, READY_TIMEOUT).start()) {
      grandchildren = grandchildren(parent);
      long killed = System.nanoTime();
      ProcessHandle.of(parent.pid()).orElseThrow().destroyForcibly(); // the parent alone, not its descendants
      assertTrue(parent.waitFor(Duration.ofSeconds(10)));
      assertEquals(SIGKILL_EXIT, parent.exitCode());
      // polled: onExit of a process that is not this JVM's child polls at growing intervals, seconds apart
      long deadline = killed + TimeUnit.SECONDS.toNanos(5);
      while (!grandchildren.stream().allMatch(child -> LinuxProcesses.ended(child.pid()))
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(List.of(), grandchildren.stream().filter(child -> !LinuxProcesses.ended(child.pid())).toList(),
          "children of the killed JVM still running 5 s after it");
      System.out.printf("the killed JVM's children ended %.1f s after it%n", (System.nanoTime() - killed) / 1e9);
    } finally {
      grandchildren.forEach(ProcessHandle::destroyForcibly);
    }
  }

  /** The two child JVMs of a {@code parent} test child, alive. */
  private static List<ProcessHandle> grandchildren(ChildProcess parent) {
    List<ProcessHandle> grandchildren = Arrays.stream(parent.ready().split(" "))
        .map(pid -> ProcessHandle.of(Long.parseLong(pid)).orElseThrow())
        .toList();
    assertTrue(grandchildren.stream().allMatch(ProcessHandle::isAlive));
    return grandchildren;
  }

  @Test
  void aProgramRunsLikeAJvm() throws Exception {
    try (ChildProcess echo = ChildProcess.command("sh", "-c", "read line; echo \"READY $line\"")
        .input("hello\n".getBytes(StandardCharsets.UTF_8))
        .readyWhen(TestChild.READY, READY_TIMEOUT)
        .start()) {
      assertEquals("hello", echo.ready());
      assertTrue(echo.waitFor(Duration.ofSeconds(10)));
      assertEquals(0, echo.exitCode());
      assertEquals("sh (pid " + echo.pid() + ")", echo.toString());
    }
  }

  @Test
  void aCommandPrefixRunsTheChildThroughAProgramThatBecomesIt() throws Exception {
    // env with no arguments of its own runs the command in place, as ip netns exec does
    try (ChildProcess child = testChild("secret")
        .commandPrefix("env")
        .environment("SECRET", "through-env")
        .input("line\n".getBytes(StandardCharsets.UTF_8))
        .readyWhen(TestChild.READY, READY_TIMEOUT)
        .start()) {
      assertEquals("line|through-env", child.ready());
      String command = ProcessHandle.of(child.pid()).orElseThrow().info().command().orElseThrow();
      assertTrue(command.endsWith("/java"), command);
      child.close();
      assertEquals(SIGTERM_EXIT, child.exitCode(), "SIGTERM reached the JVM itself");
    }
  }

  /**
   * A child JVM given class-data archives records the classes it loaded as it is stopped (SIGTERM), and the next
   * child of the same code and options maps that archive, as its memory map shows; one that chooses its own class
   * sharing is left without.
   */
  @Test
  void aChildRecordsItsClassesAsItStopsAndTheNextChildOfItsCodeMapsThem(@TempDir Path classData) throws Exception {
    ClassDataArchives archives = new ClassDataArchives(classData);
    try (ChildProcess first = startReady(testChild("ready").classDataArchives(archives))) {
      assertEquals(List.of(), mappedArchives(first), "no archive to map before a child of this code ended");
    }
    Path archive = awaitOne(classData, "*.jsa");
    try (ChildProcess second = startReady(testChild("ready").classDataArchives(archives))) {
      assertEquals(List.of(archive.toString()), mappedArchives(second), "the next child maps the archive");
    }
    try (ChildProcess own = startReady(testChild("ready").jvmOptions("-Xshare:off").classDataArchives(archives))) {
      assertEquals(List.of(), mappedArchives(own), "-Xshare:off is kept");
    }
    assertEquals(List.of(), files(classData, "*.partial"), "no recording left half-written");
  }

  /**
   * Archives in a directory others may write are never used nor recorded: a JVM runs the classes an archive holds.
   * One made anew is its owner's alone.
   */
  @Test
  void archivesAreKeptOnlyWhereTheirOwnerAloneMayWrite(@TempDir Path parent) throws Exception {
    Path shared = Files.createDirectory(parent.resolve("shared"));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
    try (ChildProcess child = startReady(testChild("ready").classDataArchives(new ClassDataArchives(shared)))) {
      assertEquals(List.of(), mappedArchives(child));
    }
    Thread.sleep(500); // a recording would be moved into place just after the child's exit
    assertEquals(List.of(), files(shared, "*"), "nothing recorded where others may write");

    Path made = parent.resolve("made");
    try (ChildProcess child = startReady(testChild("ready").classDataArchives(new ClassDataArchives(made)))) {
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(made)));
    }
    awaitOne(made, "*.jsa");
  }

  /** The class-data archives outside the JDK that {@code child} has mapped (at its start, before its main class). */
  private static List<String> mappedArchives(ChildProcess child) throws IOException {
    String jdk = System.getProperty("java.home");
    return Files.readAllLines(Path.of("/proc", String.valueOf(child.pid()), "maps")).stream()
        .map(line -> line.substring(line.lastIndexOf(' ') + 1))
        .filter(file -> file.endsWith(".jsa") && !file.startsWith(jdk))
        .distinct()
        .toList();
  }

  /** The one file matching {@code glob} in {@code dir}, waited for: a recording is moved into place after its exit. */
  private static Path awaitOne(Path dir, String glob) throws Exception {
    for (long deadline = System.nanoTime() + READY_TIMEOUT.toNanos(); System.nanoTime() < deadline; Thread.sleep(50)) {
      List<Path> found = files(dir, glob);
      if (found.size() == 1) {
        return found.get(0);
      }
    }
    throw new AssertionError("no " + glob + " in " + dir + ": " + files(dir, "*"));
  }

  private static List<Path> files(Path dir, String glob) throws IOException {
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, glob)) {
      stream.forEach(found::add);
    }
    return found;
  }

  private static ChildProcess startReady(ChildJvm.Builder child) throws IOException {
    return child.readyWhen(TestChild.READY, READY_TIMEOUT).start();
  }

  private static ChildJvm.Builder testChild(String... arguments) {
    return ChildJvm.mainClass(TestChild.class).jvmOptions("-Xmx32m", "-XX:TieredStopAtLevel=1").arguments(arguments);
  }
}
