package dev.stratus.jobs.train;

import dev.stratus.jvm.ChildJvm;
import dev.stratus.jvm.ChildProcess;
import dev.stratus.jvm.ClassDataArchives;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Worker generations as JVMs of their own whose heap is the worker's memory, as a Lambda environment would run them.
 * The task goes to the child on its standard input (it holds secrets, which never go on a command line); the outcome
 * comes back on the last line of its standard output.
 */
public final class ProcessWorkers implements WorkerLauncher {
  private static final String OUTCOME = "STRATUS_WORKER_OUTCOME ";
  /** Each generation after the first of this code maps the classes an earlier one loaded, as shards do. */
  private static final ClassDataArchives CLASS_DATA =
      ClassDataArchives.inTemporaryDirectory("stratus-worker-class-data");

  private final List<Integer> memorySizesMb;
  private final Set<ChildProcess> running = ConcurrentHashMap.newKeySet();

  public ProcessWorkers(int memoryMb) {
    this(List.of(memoryMb));
  }

  /** Processes whose heap may be any of {@code memorySizesMb}, smallest first. */
  public ProcessWorkers(List<Integer> memorySizesMb) {
    this.memorySizesMb = List.copyOf(memorySizesMb);
  }

  /** Every process shares this machine's cores. */
  @Override
  public int mostComputingAtOnce() {
    return Runtime.getRuntime().availableProcessors();
  }

  @Override
  public Running launch(WorkerTask task, int memoryMb) throws IOException {
    AtomicReference<String> reported = new AtomicReference<>();
    AtomicReference<String> error = new AtomicReference<>();
    // what the JVM says of the throwable that ended a thread, or of the heap that ran out (it then exits at once)
    Consumer<String> noteError = line -> {
      if (line.startsWith("Exception in thread") || line.contains("java.lang.OutOfMemoryError")) {
        error.compareAndSet(null, line);
      }
    };
    ChildProcess process = ChildJvm.mainClass(ProcessWorkers.class)
        .jvmOptions("-Xmx" + memoryMb + "m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError")
        .classDataArchives(CLASS_DATA)
        .name("worker process")
        .input((Base64.getEncoder().encodeToString(WorkerMessages.task(task)) + "\n").getBytes(StandardCharsets.UTF_8))
        .stdout(ChildProcess.Output.lines(line -> {
          if (line.startsWith(OUTCOME)) {
            reported.set(line.substring(OUTCOME.length()));
          }
          noteError.accept(line);
        }))
        .stderr(ChildProcess.Output.lines(line -> {
          System.err.println(line);
          noteError.accept(line);
        }))
        .start();
    running.add(process);
    CompletableFuture<WorkerTask.WorkerOutcome> outcome = process.onExit().thenApply(exit -> {
      if (reported.get() == null) {
        throw new IllegalStateException("worker process " + process.pid() + " ended with exit code " + exit
            + " before reporting: " + (error.get() != null ? error.get() : "killed"));
      }
      return WorkerMessages.outcome(Base64.getDecoder().decode(reported.get()));
    });
    outcome.whenComplete((o, failure) -> running.remove(process));
    return new Running(outcome, process::kill);
  }

  @Override
  public List<Integer> memorySizesMb() {
    return memorySizesMb;
  }

  /** Each process's heap. */
  @Override
  public long memoryPerWorker(int workers, int memoryMb) {
    return (long) memoryMb << 20;
  }

  @Override
  public void close() {
    running.forEach(ChildProcess::kill);
  }

  /** The child: reads its task from standard input, runs it, prints its outcome. */
  public static void main(String[] args) throws Exception {
    String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    WorkerTask task = WorkerMessages.task(Base64.getDecoder().decode(line));
    long memoryMb = Runtime.getRuntime().maxMemory() >> 20;
    WorkerTask.WorkerOutcome outcome =
        task.run((long) (task.spec().workerLifetimeSeconds() * 1000), (int) memoryMb, () -> false);
    System.out.println(OUTCOME + Base64.getEncoder().encodeToString(WorkerMessages.outcome(outcome)));
    System.out.flush();
    // The store client's threads are not daemons.
    System.exit(0);
  }
}
