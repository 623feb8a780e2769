package dev.stratus.ps;

import dev.stratus.jvm.ClassPath;
import dev.stratus.ps.server.PsServer;
import dev.stratus.ps.server.ServerCommandLine;
import dev.stratus.ps.server.ShardConfig;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Launches parameter-server shards as separate JVM processes on this machine, and kills them on {@link #close()}
 * (or when this JVM exits).
 *
 * <pre>{@code
 * try (PsProcesses ps = PsProcesses.start(4, ShardConfig.of(secret), "512m")) {
 *   PsClient client = PsClient.connect(ps.addresses(), secret);
 * }
 * }</pre>
 *
 * <p>Shard i runs {@link PsServer#main} with {@code --shard i} and the template's options; the secret and the
 * checkpoint store travel in environment variables, not on the command line. {@link #kill} and {@link #restart}
 * simulate a crashed shard coming back on the same port (resuming from its last snapshot).
 */
public final class PsProcesses implements AutoCloseable {
  private static final String TOKEN_ENV = "STRATUS_PS_TOKEN";
  private static final long START_TIMEOUT_SECONDS = 60;

  private final ShardConfig template;
  private final String heap;
  private final Process[] processes;
  private final int[] ports;
  private final Thread reaper = new Thread(this::destroyAll, "ps-processes-reaper");

  private PsProcesses(int shards, ShardConfig template, String heap) {
    this.template = template;
    this.heap = heap;
    this.processes = new Process[shards];
    this.ports = new int[shards];
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /**
   * Starts {@code shards} processes from {@code template} (its port and shard are set per process: free ports,
   * shards 0..n-1) with heap {@code heap} (a -Xmx value), and waits until each listens.
   */
  public static PsProcesses start(int shards, ShardConfig template, String heap) {
    PsProcesses ps = new PsProcesses(shards, template, heap);
    try {
      List<CompletableFuture<Void>> started = new ArrayList<>();
      for (int i = 0; i < shards; i++) {
        int shard = i;
        started.add(CompletableFuture.runAsync(() -> ps.launch(shard, 0)));
      }
      started.forEach(CompletableFuture::join);
      return ps;
    } catch (RuntimeException e) {
      ps.close();
      throw e;
    }
  }

  public List<InetSocketAddress> addresses() {
    List<InetSocketAddress> addresses = new ArrayList<>();
    for (int port : ports) {
      addresses.add(new InetSocketAddress(template.bind(), port));
    }
    return addresses;
  }

  public long pid(int shard) {
    return processes[shard].pid();
  }

  /** Kills shard {@code shard} at once (SIGKILL), as a crash would. */
  public void kill(int shard) throws InterruptedException {
    processes[shard].destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  /** Starts shard {@code shard} again on its old port, after {@link #kill}. */
  public void restart(int shard) {
    if (processes[shard].isAlive()) {
      throw new IllegalStateException("shard " + shard + " is still running");
    }
    launch(shard, ports[shard]);
  }

  private void launch(int shard, int port) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + heap, "-XX:+UseParallelGC",
        "-cp", ClassPath.current(), PsServer.class.getName(),
        "--port", String.valueOf(port), "--bind", template.bind(), "--shard", String.valueOf(shard),
        "--token-env", TOKEN_ENV, "--max-frame-bytes", String.valueOf(template.maxFrameBytes()),
        "--kv-max-bytes", String.valueOf(template.kvMaxBytes())));
    command.addAll(List.of(ServerCommandLine.limitOptions(template.limits())));
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    builder.environment().put(TOKEN_ENV, template.token());
    if (template.checkpoint() != null) {
      command.addAll(List.of("--checkpoint", template.checkpoint().toString(),
          "--snapshot-every", String.valueOf(template.snapshotEverySeconds())));
      builder.command(command).environment().put(PsServer.STORE_SPEC_ENV, serialize(template.store()));
    }
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start parameter-server shard " + shard, e);
    }
    synchronized (this) {
      processes[shard] = process;
    }
    ports[shard] = awaitPort(shard, process);
  }

  /** Reads the child's stdout until it announces its port, then keeps draining it so the child never blocks. */
  private static int awaitPort(int shard, Process process) {
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Integer> port = new CompletableFuture<>();
    Thread drain = new Thread(() -> {
      try {
        for (String line; (line = out.readLine()) != null; ) {
          if (line.startsWith(PsServer.LISTENING_LINE)) {
            port.complete(Integer.parseInt(line.substring(PsServer.LISTENING_LINE.length()).trim()));
          }
        }
      } catch (IOException | NumberFormatException e) {
        port.completeExceptionally(e);
      }
      port.completeExceptionally(new IllegalStateException("exited with " + exitCode(process)));
    }, "ps-shard-" + shard + "-stdout");
    drain.setDaemon(true);
    drain.start();
    try {
      return port.get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      process.destroyForcibly();
      throw new PsException("parameter-server shard " + shard + " did not start: " + e.getMessage(), e);
    }
  }

  private static String exitCode(Process process) {
    try {
      return String.valueOf(process.waitFor(5, TimeUnit.SECONDS) ? process.exitValue() : "(still running)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "(interrupted)";
    }
  }

  private static String serialize(Object spec) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(spec);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Base64.getEncoder().encodeToString(bytes.toByteArray());
  }

  private synchronized void destroyAll() {
    for (Process process : processes) {
      if (process != null) {
        process.destroy();
      }
    }
    for (Process process : processes) {
      if (process != null) {
        try {
          if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
          }
        } catch (InterruptedException e) {
          process.destroyForcibly();
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** Stops every shard (SIGTERM, then SIGKILL after 5 s) and waits for them to exit. */
  @Override
  public void close() {
    destroyAll();
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException alreadyShuttingDown) {
      // the hook is running or ran: nothing left to do
    }
  }
}
