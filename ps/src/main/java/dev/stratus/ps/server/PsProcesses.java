package dev.stratus.ps.server;

import dev.stratus.jvm.ChildJvm;
import dev.stratus.jvm.ChildProcess;
import dev.stratus.ps.PsException;
import dev.stratus.ps.ShardAccess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Launches parameter-server shards as separate JVM processes on this machine, and kills them on {@link #close()}
 * (or when this JVM exits).
 *
 * <pre>{@code
 * try (PsProcesses ps = PsProcesses.start(4, ShardConfig.of(secret).tlsSelfSigned(), "512m")) {
 *   PsClient client = PsClient.connect(ps.addresses(), ps.access(), 0);
 * }
 * }</pre>
 *
 * <p>Shard i runs {@link PsServer#main} with {@code --shard i} and the template's options; the secret, the TLS
 * certificate and its private key, and the checkpoint store travel in environment variables, not on the command
 * line. Every shard presents the template's certificate: one per job, which {@link #access} hands to clients. {@link #kill} and {@link #restart}
 * simulate a crashed shard coming back on the same port (resuming from its last snapshot).
 */
public final class PsProcesses implements AutoCloseable {
  private static final String TOKEN_ENV = "STRATUS_PS_TOKEN";
  private static final String TLS_CERTIFICATE_ENV = "STRATUS_PS_TLS_CERT";
  private static final String TLS_KEY_ENV = "STRATUS_PS_TLS_KEY";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final ShardConfig template;
  private final String heap;
  private final ChildProcess[] processes;
  private final int[] ports;

  private PsProcesses(int shards, ShardConfig template, String heap) {
    this.template = template;
    this.heap = heap;
    this.processes = new ChildProcess[shards];
    this.ports = new int[shards];
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

  /** What clients of these shards need: the secret, and the certificate they present when they serve TLS. */
  public ShardAccess access() {
    return template.access();
  }

  public long pid(int shard) {
    return processes[shard].pid();
  }

  /** Kills shard {@code shard} at once (SIGKILL), as a crash would. */
  public void kill(int shard) {
    processes[shard].kill();
  }

  /** Starts shard {@code shard} again on its old port, after {@link #kill}. */
  public void restart(int shard) {
    if (processes[shard].isAlive()) {
      throw new IllegalStateException("shard " + shard + " is still running");
    }
    launch(shard, ports[shard]);
  }

  private void launch(int shard, int port) {
    List<String> arguments = new ArrayList<>(List.of(
        "--port", String.valueOf(port), "--bind", template.bind(), "--shard", String.valueOf(shard),
        "--token-env", TOKEN_ENV, "--max-frame-bytes", String.valueOf(template.maxFrameBytes()),
        "--kv-max-bytes", String.valueOf(template.kvMaxBytes())));
    arguments.addAll(List.of(ServerCommandLine.limitOptions(template.limits())));
    Map<String, String> environment = new HashMap<>(Map.of(TOKEN_ENV, template.token()));
    if (template.tls() != null) {
      arguments.addAll(List.of("--tls-cert-env", TLS_CERTIFICATE_ENV, "--tls-key-env", TLS_KEY_ENV));
      environment.put(TLS_CERTIFICATE_ENV, template.tls().certificatePem());
      environment.put(TLS_KEY_ENV, template.tls().privateKeyPem());
    }
    if (template.checkpoint() != null) {
      arguments.addAll(List.of("--checkpoint", template.checkpoint().toString(),
          "--snapshot-every", String.valueOf(template.snapshotEverySeconds())));
      environment.put(PsServer.STORE_SPEC_ENV, serialize(template.store()));
    }
    ChildProcess process;
    try {
      process = ChildJvm.mainClass(PsServer.class)
          .jvmOptions("-Xmx" + heap, "-XX:+UseParallelGC")
          .arguments(arguments)
          .name("parameter-server shard " + shard)
          .environment(environment)
          .readyWhen(PsServer.LISTENING_LINE, START_TIMEOUT)
          .start();
    } catch (IOException e) {
      throw new PsException(e.getMessage(), e);
    }
    synchronized (this) {
      processes[shard] = process;
    }
    ports[shard] = Integer.parseInt(process.ready());
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

  /** Stops every shard (SIGTERM, then SIGKILL after 5 s) and waits for them to exit. */
  @Override
  public synchronized void close() {
    ChildProcess.closeAll(Arrays.stream(processes).filter(Objects::nonNull).toList());
  }
}
