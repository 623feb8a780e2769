package dev.stratus.jvm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * A process this JVM started, which never outlives it and never blocks on its output. {@link ChildJvm} builds one
 * running a main class of this project; {@link #command} one running any program.
 *
 * <pre>{@code
 * try (ChildProcess shard = ChildJvm.mainClass(PsServer.class)
 *     .jvmOptions("-Xmx512m")
 *     .arguments("--port", "0", "--token-env", "TOKEN")
 *     .environment("TOKEN", secret)
 *     .readyWhen(PsServer.LISTENING_LINE, Duration.ofSeconds(60))
 *     .start()) {
 *   int port = Integer.parseInt(shard.ready());
 * }
 * }</pre>
 *
 * <p>Secrets go to a child in its environment or on its standard input, never on its command line, which every local
 * user can read. Its output goes where {@link Output} says; what this JVM reads, it reads on daemon threads to the
 * end. {@link #close} asks it to stop (SIGTERM) and kills it (SIGKILL, with its own children) if it has not within its
 * grace; a shutdown hook closes every child still running when this JVM exits. A child JVM also ends by itself when
 * this JVM is killed, which runs no hook ({@link ExitWithParent}); a program started by {@link #command} does not.
 */
public final class ChildProcess implements AutoCloseable {
  private static final Duration DEFAULT_STOP_GRACE = Duration.ofSeconds(5);
  /** How long a SIGKILLed process may take to be reaped before this JVM stops waiting for it. */
  private static final Duration KILL_WAIT = Duration.ofSeconds(10);
  private static final ThreadFactory OUTPUT_THREADS = new DaemonThreadFactory("child-process-output");
  private static final Set<ChildProcess> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> closeAll(List.copyOf(RUNNING)), "child-process-reaper"));
  }

  private final String name;
  private final Process process;
  private final Duration stopGrace;
  private final CompletableFuture<Integer> exit;
  /** What followed the readiness prefix; never completed when no readiness line is awaited. */
  private final CompletableFuture<String> ready;

  private ChildProcess(String name, Process process, Duration stopGrace, List<CompletableFuture<Void>> drains,
      CompletableFuture<String> ready, List<IntConsumer> afterExit) {
    this.name = name;
    this.process = process;
    this.stopGrace = stopGrace;
    this.ready = ready;
    List<CompletableFuture<?>> ends = new ArrayList<>(drains);
    ends.add(process.onExit());
    this.exit = CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new)).thenApply(ended -> {
      int code = process.exitValue();
      afterExit.forEach(hook -> hook.accept(code));
      return code;
    });
  }

  /** A builder for a child running {@code command} (the program, then its arguments). */
  public static Builder command(String... command) {
    List<String> line = List.of(command);
    return new Builder(Path.of(line.get(0)).getFileName().toString()) {
      @Override
      List<String> commandLine() {
        return line;
      }
    };
  }

  /** What followed the readiness prefix on its line (trimmed), or null when no readiness line was awaited. */
  public String ready() {
    return ready.getNow(null);
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Its exit code; throws {@link IllegalThreadStateException} while it runs. */
  public int exitCode() {
    return process.exitValue();
  }

  /** Its exit code, once it ended and this JVM read all of its output that it reads. */
  public CompletableFuture<Integer> onExit() {
    return exit.copy();
  }

  /** Waits up to {@code timeout} for it to end (and its output to be read); true if it did. */
  public boolean waitFor(Duration timeout) throws InterruptedException {
    try {
      exit.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot wait for " + name, e);
    }
  }

  /** Kills it and its own children at once (SIGKILL), as a crash would, and waits (boundedly) until it is gone. */
  public void kill() {
    killWithDescendants(process.descendants().toList());
  }

  /** Stops it: SIGTERM, then SIGKILL (it and its children) if it is still running after its grace. */
  @Override
  public void close() {
    closeAll(List.of(this));
  }

  /** {@link #close} for several children at once: all get SIGTERM together, so their graces run together. */
  public static void closeAll(Collection<ChildProcess> children) {
    long start = System.nanoTime();
    // A child's children are found through it: once it is gone, they are no longer its descendants.
    Map<ChildProcess, List<ProcessHandle>> descendants = new LinkedHashMap<>();
    for (ChildProcess child : children) {
      descendants.put(child, child.process.descendants().toList());
      // Not Process.destroy, which also closes its standard input: a child JVM would take that for this JVM's end.
      child.process.toHandle().destroy();
    }
    descendants.forEach((child, itsChildren) -> {
      Duration left = child.stopGrace.minusNanos(System.nanoTime() - start);
      if (!child.awaitProcess(left)) {
        child.killWithDescendants(itsChildren);
      }
    });
  }

  private void killWithDescendants(List<ProcessHandle> descendants) {
    descendants.forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    awaitProcess(KILL_WAIT);
  }

  /** Waits for the process itself (not its output); keeps the interrupt for the caller, which is stopping it. */
  private boolean awaitProcess(Duration timeout) {
    try {
      return process.waitFor(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !process.isAlive();
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }

  /**
   * Where a child's standard output or error goes. Whatever is chosen, the child never blocks on a full pipe: the
   * operating system takes what goes to a file, to this JVM's own streams or away, and a daemon thread reads what
   * this JVM reads.
   */
  public static final class Output {
    private final ProcessBuilder.Redirect redirect;
    /** Takes the lines when this JVM reads the stream (for a readiness line); null for a file. */
    private final Consumer<String> lines;

    private Output(ProcessBuilder.Redirect redirect, Consumer<String> lines) {
      this.redirect = redirect;
      this.lines = lines;
    }

    /** To this JVM's own stream (stdout for {@link Builder#stdout}, stderr for {@link Builder#stderr}). */
    public static Output inherit() {
      return new Output(ProcessBuilder.Redirect.INHERIT, System.out::println);
    }

    public static Output discard() {
      return new Output(ProcessBuilder.Redirect.DISCARD, line -> {});
    }

    /** To {@code file}, replacing what it held. */
    public static Output toFile(Path file) {
      return new Output(ProcessBuilder.Redirect.to(file.toFile()), null);
    }

    /** To the end of {@code file}. */
    public static Output appendTo(Path file) {
      return new Output(ProcessBuilder.Redirect.appendTo(file.toFile()), null);
    }

    /** Line by line to {@code consumer}, on a daemon thread. */
    public static Output lines(Consumer<String> consumer) {
      return new Output(ProcessBuilder.Redirect.PIPE, Objects.requireNonNull(consumer));
    }

    private boolean readHere() {
      return redirect == ProcessBuilder.Redirect.PIPE;
    }
  }

  /**
   * How to start a child. By default it gets this JVM's environment, its standard input is a pipe this JVM never
   * writes and that ends only with this JVM (a child that watches for its end sees this JVM's), standard output is
   * discarded and standard error goes to this JVM's.
   */
  public abstract static class Builder {
    private String name;
    private final List<String> commandPrefix = new ArrayList<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private boolean cleanEnvironment;
    private Path directory;
    private byte[] input;
    private Output stdout = Output.discard();
    private Output stderr = Output.inherit();
    private boolean mergeStderr;
    private String readyPrefix;
    private Duration readyTimeout;
    private Duration stopGrace = DEFAULT_STOP_GRACE;
    private final List<IntConsumer> afterExit = new ArrayList<>();

    Builder(String name) {
      this.name = name;
    }

    /** The command line, built when the child starts. */
    abstract List<String> commandLine();

    /**
     * Whether the child watches its standard input for this JVM's end ({@link ExitWithParent}), so that the pipe stays
     * open after the {@link #input} is written.
     */
    boolean exitsWithParent() {
      return false;
    }

    /** Runs {@code hook} with the child's exit code once it ended, before {@link ChildProcess#onExit} completes. */
    void afterExit(IntConsumer hook) {
      afterExit.add(hook);
    }

    /** The length of the {@link #input}; -1 without one. */
    int inputLength() {
      return input == null ? -1 : input.length;
    }

    /** What messages and {@link #toString} call the child. */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /**
     * Runs the command through {@code prefix}, a program that runs its arguments as a command in some context of its
     * own and replaces itself with it ({@code ip netns exec NAME}: in a network namespace), so the child is still the
     * process this JVM stops.
     */
    public Builder commandPrefix(String... prefix) {
      commandPrefix.addAll(List.of(prefix));
      return this;
    }

    /** Sets a variable of its environment: the place for a secret. */
    public Builder environment(String variable, String value) {
      environment.put(variable, value);
      return this;
    }

    public Builder environment(Map<String, String> variables) {
      environment.putAll(variables);
      return this;
    }

    /** Passes on none of this JVM's environment but PATH: the child has only the variables set here (and PATH). */
    public Builder cleanEnvironment() {
      cleanEnvironment = true;
      return this;
    }

    public Builder directory(Path directory) {
      this.directory = directory;
      return this;
    }

    /**
     * Writes {@code bytes} to its standard input, which ends after them (so an empty array is an empty standard
     * input): the other place for a secret. A child JVM reads them as {@link System#in} while the pipe itself stays
     * open ({@link ExitWithParent}); another program's standard input is closed after them.
     */
    public Builder input(byte[] bytes) {
      this.input = bytes.clone();
      return this;
    }

    public Builder stdout(Output output) {
      this.stdout = output;
      return this;
    }

    public Builder stderr(Output output) {
      this.stderr = output;
      return this;
    }

    /** Standard output and error together, in order, to {@code output}. */
    public Builder output(Output output) {
      this.stdout = output;
      this.mergeStderr = true;
      return this;
    }

    /**
     * Makes {@link #start} wait until the child prints a line starting with {@code prefix} on its standard output
     * ({@link ChildProcess#ready} is the rest of that line); it kills the child and fails if the child ends first or
     * {@code timeout} passes. Standard output must then go to {@link Output#inherit}, {@link Output#discard} or
     * {@link Output#lines}, which get the lines other than that one.
     */
    public Builder readyWhen(String prefix, Duration timeout) {
      this.readyPrefix = prefix;
      this.readyTimeout = timeout;
      return this;
    }

    /** How long {@link ChildProcess#close} lets it stop on SIGTERM before it kills it (5 s unless set). */
    public Builder stopGrace(Duration grace) {
      this.stopGrace = grace;
      return this;
    }

    /**
     * Starts the child and, if asked, waits until it is ready.
     *
     * @throws IOException naming the child, when it cannot be started, does not take its input or is not ready
     */
    public ChildProcess start() throws IOException {
      if (readyPrefix != null && stdout.lines == null) {
        throw new IllegalStateException(name + ": a readiness line cannot be read from standard output to a file");
      }
      Process process;
      try {
        process = processBuilder().start();
      } catch (IOException e) {
        throw new IOException("cannot start " + name + ": " + e.getMessage(), e);
      }
      CompletableFuture<String> ready = new CompletableFuture<>();
      ChildProcess child =
          new ChildProcess(name, process, stopGrace, readOutput(process, ready), ready, List.copyOf(afterExit));
      RUNNING.add(child);
      process.onExit().thenRun(() -> RUNNING.remove(child));
      try {
        if (input != null) {
          try {
            OutputStream in = process.getOutputStream();
            in.write(input);
            in.flush();
            if (!exitsWithParent()) {
              in.close();
            }
          } catch (IOException e) {
            throw new IOException("cannot write the standard input of " + name + ": " + e.getMessage(), e);
          }
        }
        if (readyPrefix != null) {
          awaitReady(ready);
        }
        return child;
      } catch (IOException | RuntimeException e) {
        child.kill();
        throw e;
      }
    }

    private boolean readsStdout() {
      return readyPrefix != null || stdout.readHere();
    }

    private ProcessBuilder processBuilder() {
      List<String> command = new ArrayList<>(commandPrefix);
      command.addAll(commandLine());
      ProcessBuilder builder = new ProcessBuilder(command);
      if (directory != null) {
        builder.directory(directory.toFile());
      }
      Map<String, String> variables = builder.environment();
      if (cleanEnvironment) {
        String path = variables.get("PATH");
        variables.clear();
        if (path != null) {
          variables.put("PATH", path);
        }
      }
      variables.putAll(environment);
      builder.redirectOutput(readsStdout() ? ProcessBuilder.Redirect.PIPE : stdout.redirect);
      builder.redirectErrorStream(mergeStderr);
      if (!mergeStderr) {
        builder.redirectError(stderr.redirect);
      }
      return builder;
    }

    /**
     * Starts reading what this JVM reads of the child's output, looking for the readiness line if there is one; the
     * futures complete when each stream has been read to its end.
     */
    private List<CompletableFuture<Void>> readOutput(Process process, CompletableFuture<String> ready) {
      List<CompletableFuture<Void>> drains = new ArrayList<>();
      if (readsStdout()) {
        String prefix = readyPrefix;
        Consumer<String> sink = stdout.lines;
        CompletableFuture<Void> stdoutRead = drain(process.getInputStream(), prefix == null ? sink : line -> {
          if (!ready.isDone() && line.startsWith(prefix)) {
            ready.complete(line.substring(prefix.length()).trim());
          } else {
            sink.accept(line);
          }
        });
        if (prefix != null) {
          // Its output ended without the line: fail with how it ended rather than wait out the timeout.
          stdoutRead.thenCompose(read -> process.onExit()).thenAccept(ended -> ready.completeExceptionally(
              new IOException("it exited with code " + ended.exitValue() + " before printing '" + prefix.trim()
                  + "'")));
        }
        drains.add(stdoutRead);
      }
      if (!mergeStderr && stderr.readHere()) {
        drains.add(drain(process.getErrorStream(), stderr.lines));
      }
      return drains;
    }

    private void awaitReady(CompletableFuture<String> ready) throws IOException {
      try {
        ready.get(readyTimeout.toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        throw new IOException(name + " did not start: it printed no '" + readyPrefix.trim() + "' within "
            + describe(readyTimeout), e);
      } catch (ExecutionException e) {
        throw new IOException(name + " did not start: " + e.getCause().getMessage(), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for " + name + " to start");
      }
    }
  }

  private static CompletableFuture<Void> drain(InputStream stream, Consumer<String> lines) {
    CompletableFuture<Void> drained = new CompletableFuture<>();
    OUTPUT_THREADS.newThread(() -> {
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        for (String line; (line = reader.readLine()) != null; ) {
          lines.accept(line);
        }
      } catch (IOException closed) {
        // the child is gone
      } finally {
        drained.complete(null);
      }
    }).start();
    return drained;
  }

  private static String describe(Duration duration) {
    return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
  }
}
