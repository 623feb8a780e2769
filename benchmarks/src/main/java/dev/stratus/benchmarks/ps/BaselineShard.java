package dev.stratus.benchmarks.ps;

import dev.stratus.jvm.ClassPath;
import dev.stratus.ps.server.PsServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A shard of another build of the parameter server (its {@code ps/target/classes} or jar, say the previous commit's),
 * in a child JVM beside ours, so one run measures both on the same machine at the same time. Its classes come first
 * on the class path; our dependencies serve both (the wire protocol and command line must not have changed).
 */
final class BaselineShard implements AutoCloseable {
  private static final String TOKEN_ENV = "STRATUS_PS_TOKEN";
  final int port;
  private final Process process;

  BaselineShard(Path classes, String secret) throws IOException {
    if (!Files.exists(classes)) {
      throw new IOException("no baseline parameter-server build at " + classes);
    }
    ProcessBuilder builder = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString(), "-Xmx1g", "-XX:+UseParallelGC",
        "-cp", classes + File.pathSeparator + ClassPath.current(), PsServer.class.getName(),
        "--port", "0", "--bind", "127.0.0.1", "--shard", "0", "--token-env", TOKEN_ENV))
        .redirectError(ProcessBuilder.Redirect.INHERIT);
    builder.environment().put(TOKEN_ENV, secret);
    process = builder.start();
    port = awaitPort(classes);
  }

  /** Reads the shard's stdout until it names its port, then drains the rest so the shard never blocks on it. */
  private int awaitPort(Path classes) throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    for (String line; (line = out.readLine()) != null; ) {
      if (line.startsWith(PsServer.LISTENING_LINE)) {
        Thread drain = new Thread(() -> {
          try {
            out.transferTo(Writer.nullWriter());
          } catch (IOException closed) {
            // the shard is gone
          }
        }, "baseline-shard-stdout");
        drain.setDaemon(true);
        drain.start();
        return Integer.parseInt(line.substring(PsServer.LISTENING_LINE.length()).trim());
      }
    }
    process.destroyForcibly();
    throw new IOException("the baseline shard from " + classes + " exited before listening");
  }

  long pid() {
    return process.pid();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }
}
