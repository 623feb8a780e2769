package dev.stratus.benchmarks.ps;

import dev.stratus.benchmarks.Directories;
import dev.stratus.jvm.ChildProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A throwaway {@code redis-server} on a free loopback port, without persistence; stopped on close or JVM exit. */
public final class RedisServer implements AutoCloseable {
  public final int port;
  private final ChildProcess process;
  private final Path dir;

  public RedisServer(String binary) throws IOException, InterruptedException {
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    dir = Files.createTempDirectory("stratus-redis");
    process = ChildProcess.command(binary, "--port", String.valueOf(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir.toString(),
            "--loglevel", "warning")
        .output(ChildProcess.Output.discard())
        .start();
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
  public void close() {
    process.close();
    try {
      Directories.deleteRecursively(dir);
    } catch (IOException ignored) {
      // a temp directory left behind is harmless
    }
  }
}
