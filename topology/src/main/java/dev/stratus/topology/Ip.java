package dev.stratus.topology;

import dev.stratus.jvm.ChildProcess;
import java.io.File;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

/** Runs iproute2's {@code ip}, the one program through which the topology makes and removes its network. */
final class Ip {
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);
  /** Where {@code ip} is when the PATH of a test JVM leaves out the system directories. */
  private static final List<String> SYSTEM_DIRECTORIES = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");

  private Ip() {}

  /** The {@code ip} program's path, or null when there is none on the PATH or in the system directories. */
  static String program() {
    String path = System.getenv().getOrDefault("PATH", "");
    return Stream.concat(Stream.of(path.split(File.pathSeparator)), SYSTEM_DIRECTORIES.stream())
        .filter(directory -> !directory.isBlank())
        .map(directory -> Path.of(directory, "ip"))
        .filter(Files::isExecutable)
        .map(Path::toString)
        .findFirst()
        .orElse(null);
  }

  /**
   * Runs {@code ip ARGUMENTS} and returns its output.
   *
   * @throws IOException naming the command, its exit code and what it printed, when it fails
   */
  static String run(String... arguments) throws IOException {
    String program = program();
    if (program == null) {
      throw new IOException("no ip command (iproute2) on the PATH or in " + SYSTEM_DIRECTORIES);
    }
    List<String> command = new ArrayList<>(List.of(program));
    Collections.addAll(command, arguments);
    String shown = "ip " + String.join(" ", arguments);
    List<String> output = Collections.synchronizedList(new ArrayList<>());
    ChildProcess process = ChildProcess.command(command.toArray(String[]::new))
        .name(shown)
        .output(ChildProcess.Output.lines(output::add))
        .start();
    try {
      if (!process.waitFor(COMMAND_TIMEOUT)) {
        process.kill();
        throw new IOException("'" + shown + "' did not end within " + COMMAND_TIMEOUT.toSeconds() + " s");
      }
    } catch (InterruptedException e) {
      process.kill();
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while running '" + shown + "'");
    }
    String printed = String.join("\n", output);
    if (process.exitCode() != 0) {
      throw new IOException("'" + shown + "' failed with exit code " + process.exitCode()
          + (printed.isBlank() ? "" : ": " + printed));
    }
    return printed;
  }
}
