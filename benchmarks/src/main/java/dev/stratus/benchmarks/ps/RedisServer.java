package dev.stratus.benchmarks.ps;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A throwaway {@code redis-server} on a free loopback port, without persistence; stopped on close or JVM exit. */
public final class RedisServer implements AutoCloseable {
  public final int port;
  private final Process process;
  private final Path dir;
  private final Thread reaper;

  public RedisServer(String binary) throws IOException, InterruptedException {
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    dir = Files.createTempDirectory("stratus-redis");
    process = new ProcessBuilder(List.of(binary, "--port", String.valueOf(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir.toString(),
            "--loglevel", "warning"))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    reaper = new Thread(process::destroyForcibly, "redis-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (RespClient client = new RespClient(port)) {
        if ("PONG".equals(client.call("PING"))) {
          return;
        }
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline || !process.isAlive()) {
          close();
          throw new IOException("redis-server did not start on port " + port, notYet);
        }
        Thread.sleep(20);
      }
    }
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
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temp directory left behind is harmless
    }
  }
}
