package dev.stratus.ps.server;

import dev.stratus.jvm.ChildJvm;
import dev.stratus.jvm.ChildProcess;
import dev.stratus.jvm.ClassDataArchives;
import dev.stratus.jvm.DaemonThreadFactory;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * line. Every shard presents the template's certificate: one per job, which {@link #access} hands to clients.
 *
 * <p>Once {@link #restartWhenDead} is called, a shard process that dies (a crash, the OOM killer, {@link #kill}) is
 * replaced by a new one on the same port with the same configuration, which restores every model of that shard from
 * its latest snapshot; clients reconnect to it. {@link #kill} and {@link #restart} simulate a crash and a restart by
 * hand.
 */
public final class PsProcesses implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PsProcesses.class);
  private static final String TOKEN_ENV = "STRATUS_PS_TOKEN";
  private static final String TLS_CERTIFICATE_ENV = "STRATUS_PS_TLS_CERT";
  private static final String TLS_KEY_ENV = "STRATUS_PS_TLS_KEY";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  /**
   * Shards start from the classes an earlier shard process of the same code loaded (see {@link ClassDataArchives}),
   * kept under the temporary directory: a third less CPU to listen, and no class loading at the first snapshot.
   */
  private static final ClassDataArchives CLASS_DATA =
      ClassDataArchives.inTemporaryDirectory("stratus-shard-class-data");

  /** Hears of the shards {@link #restartWhenDead} replaces. */
  public interface Watcher {
    /** Shard {@code shard}'s process ended with {@code exitCode}; its replacement starts after this returns. */
    void died(int shard, int exitCode);

    /**
     * Shard {@code shard}'s replacement listens on its port now. Called in order on a thread of its own, apart from
     * the one that starts replacements: a watcher still reading the first replacement when it dies too does not hold
     * up the second.
     */
    void restarted(int shard);

    /** Shard {@code shard}'s replacement did not start: why (on a thread of its own). */
    void couldNotRestart(int shard, RuntimeException why);
  }

  private final ShardConfig template;
  private final List<String> jvmOptions;
  private final List<String> commandPrefix;
  private final BiConsumer<Integer, String> log;
  /** Whether the first processes skip their checkpoint's restore: it holds nothing of theirs yet. */
  private final boolean fresh;
  private final ChildProcess[] processes;
  private final int[] ports;
  private Watcher watcher; // guarded by this; null: dead shards stay dead
  private ExecutorService restarts; // guarded by this
  private ExecutorService reports; // guarded by this: tells the watcher, so that it never holds up a restart
  private boolean closed; // guarded by this

  private PsProcesses(int shards, ShardConfig template, List<String> jvmOptions, List<String> commandPrefix,
      BiConsumer<Integer, String> log, boolean fresh) {
    this.fresh = fresh;
    this.commandPrefix = List.copyOf(commandPrefix);
    this.template = template;
    this.jvmOptions = List.copyOf(jvmOptions);
    this.log = log;
    this.processes = new ChildProcess[shards];
    this.ports = new int[shards];
  }

  /**
   * Starts {@code shards} processes from {@code template} (its port and shard are set per process: free ports,
   * shards 0..n-1) with heap {@code heap} (a -Xmx value), and waits until each listens.
   */
  public static PsProcesses start(int shards, ShardConfig template, String heap) {
    return start(shards, template, heap, List.of(), List.of(), null);
  }

  /**
   * As {@link #start(int, ShardConfig, String)}, over a checkpoint that holds nothing of these shards' yet (a new
   * job's, whose location was just cleared): they listen without reading it, most of a second sooner (the store's
   * client is made in the background). A replacement of one that dies restores from it, as ever.
   */
  public static PsProcesses startFresh(int shards, ShardConfig template, String heap) {
    return startFresh(shards, template, heap, List.of());
  }

  /** As {@link #startFresh(int, ShardConfig, String)}, with more options for each shard's JVM. */
  public static PsProcesses startFresh(int shards, ShardConfig template, String heap, List<String> jvmOptions) {
    return start(shards, template, heap, jvmOptions, List.of(), null, true);
  }

  /**
   * As {@link #start(int, ShardConfig, String)}, with more options for each shard's JVM ({@code -D...}, a log level
   * say), each shard started through {@code commandPrefix} unless it is empty (ip netns exec NAME, for a network
   * namespace) and, unless {@code log} is null, each line of a shard's standard error (its log) to {@code log} with
   * the shard's index instead of to this JVM's.
   */
  public static PsProcesses start(int shards, ShardConfig template, String heap, List<String> jvmOptions,
      List<String> commandPrefix, BiConsumer<Integer, String> log) {
    return start(shards, template, heap, jvmOptions, commandPrefix, log, false);
  }

  private static PsProcesses start(int shards, ShardConfig template, String heap, List<String> jvmOptions,
      List<String> commandPrefix, BiConsumer<Integer, String> log, boolean fresh) {
    List<String> options = new ArrayList<>(List.of("-Xmx" + heap, "-XX:+UseParallelGC"));
    options.addAll(jvmOptions);
    PsProcesses ps = new PsProcesses(shards, template, options, commandPrefix, log, fresh);
    try {
      List<CompletableFuture<Void>> started = new ArrayList<>();
      for (int i = 0; i < shards; i++) {
        int shard = i;
        started.add(CompletableFuture.runAsync(() -> ps.launch(shard, 0, !fresh)));
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

  /** Starts shard {@code shard} again on its old port, after {@link #kill}; for shards not watched. */
  public void restart(int shard) {
    if (processes[shard].isAlive()) {
      throw new IllegalStateException("shard " + shard + " is still running");
    }
    launch(shard, ports[shard], true);
  }

  /**
   * From now on, replaces every shard process that dies by a new one on its port, which restores its models from
   * their latest snapshots (so give the template a checkpoint location), and tells {@code watcher}.
   */
  public synchronized void restartWhenDead(Watcher watcher) {
    if (this.watcher != null) {
      throw new IllegalStateException("the shards are watched already");
    }
    this.watcher = watcher;
    this.restarts = Executors.newSingleThreadExecutor(new DaemonThreadFactory("parameter-server-restarts"));
    this.reports = Executors.newSingleThreadExecutor(new DaemonThreadFactory("parameter-server-restart-reports"));
  }

  /** Called when a shard's process ended: unless it was stopped or replaced already, starts its replacement. */
  private synchronized void ended(int shard, ChildProcess process, int exitCode) {
    if (closed || watcher == null || processes[shard] != process) {
      return;
    }
    Watcher told = watcher;
    ExecutorService reporting = reports;
    LOG.warn("{} exited with code {}: starting another on port {}", process, exitCode, ports[shard]);
    told.died(shard, exitCode);
    restarts.execute(() -> {
      try {
        launch(shard, ports[shard], true);
      } catch (RuntimeException e) {
        tell(reporting, () -> told.couldNotRestart(shard, e));
        return;
      }
      tell(reporting, () -> told.restarted(shard));
    });
  }

  private static void tell(ExecutorService reporting, Runnable call) {
    try {
      reporting.execute(call);
    } catch (RejectedExecutionException closedMeanwhile) {
      // the shards were closed after this replacement started: close() stops it, nobody listens any more
    }
  }

  /** Starts shard {@code shard}'s process on {@code port} (0: a free one); with {@code restore}, from its checkpoint. */
  private void launch(int shard, int port, boolean restore) {
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
          "--snapshot-every", String.valueOf(template.snapshotEverySeconds()), "--restore", String.valueOf(restore)));
      environment.put(PsServer.STORE_SPEC_ENV, serialize(template.store()));
    }
    ChildProcess process;
    try {
      ChildProcess.Builder builder = ChildJvm.mainClass(PsServer.class)
          .jvmOptions(jvmOptions)
          .classDataArchives(CLASS_DATA)
          .arguments(arguments)
          .name("parameter-server shard " + shard)
          .environment(environment)
          .readyWhen(PsServer.LISTENING_LINE, START_TIMEOUT);
      if (!commandPrefix.isEmpty()) {
        builder.commandPrefix(commandPrefix.toArray(String[]::new));
      }
      if (log != null) {
        builder.stderr(ChildProcess.Output.lines(line -> log.accept(shard, line)));
      }
      process = builder.start();
    } catch (IOException e) {
      throw new PsException(e.getMessage(), e);
    }
    synchronized (this) {
      if (closed) {
        process.kill(); // started while the shards were being closed: nobody would stop it
        throw new PsException("parameter-server shard " + shard + " started after its shards were closed");
      }
      processes[shard] = process;
      ports[shard] = Integer.parseInt(process.ready());
    }
    process.onExit().thenAccept(exitCode -> ended(shard, process, exitCode));
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
  public void close() {
    List<ChildProcess> running;
    synchronized (this) {
      closed = true;
      if (restarts != null) {
        restarts.shutdownNow(); // a replacement starting now sees closed and stops itself
        reports.shutdownNow();
      }
      running = Arrays.stream(processes).filter(Objects::nonNull).toList();
    }
    ChildProcess.closeAll(running);
  }
}
