package dev.stratus.benchmarks.ps;

import dev.stratus.benchmarks.Directories;
import dev.stratus.jvm.ChildProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A throwaway {@code redis-server} without persistence; stopped on close or JVM exit. */
public final class RedisServer implements AutoCloseable {
  /** Where it listens. */
  public final InetSocketAddress address;
  private final ChildProcess process;
  private final Path dir;

  /** How its process starts: as it is, or inside a network namespace. */
  @FunctionalInterface
  public interface Launcher {
    ChildProcess start(ChildProcess.Builder process) throws IOException;
  }

  /** On a free port of 127.0.0.1. */
  public RedisServer(String binary) throws IOException, InterruptedException {
    this(binary, InetAddress.getByName("127.0.0.1"), ChildProcess.Builder::start);
  }

  /**
   * Bound to {@code bind}, started by {@code launcher}. The port is one free in this JVM's network namespace: in
   * another (a cloud topology's, which holds a few servers) likely free too, and if not, Redis exits and this throws.
   */
  public RedisServer(String binary, InetAddress bind, Launcher launcher) throws IOException, InterruptedException {
    try (ServerSocket probe = new ServerSocket(0)) {
      address = new InetSocketAddress(bind, probe.getLocalPort());
    }
    dir = Files.createTempDirectory("stratus-redis");
    // Protected mode would refuse every client not on loopback, a proxy beside it included; the bind address is
    // what limits who reaches it.
    process = launcher.start(ChildProcess.command(binary, "--port", String.valueOf(address.getPort()),
            "--bind", bind.getHostAddress(), "--protected-mode", "no", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", dir.toString(), "--loglevel", "warning")
        .output(ChildProcess.Output.discard()));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (RespClient client = new RespClient(address)) {
        if ("PONG".equals(client.call("PING"))) {
          return;
        }
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline || !process.isAlive()) {
          close();
          throw new IOException("redis-server did not start at " + address, notYet);
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
