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

  private final int memoryMb;
  private final Set<ChildProcess> running = ConcurrentHashMap.newKeySet();

  public ProcessWorkers(int memoryMb) {
    this.memoryMb = memoryMb;
  }

  /** Every process shares this machine's cores. */
  @Override
  public int mostComputingAtOnce() {
    return Runtime.getRuntime().availableProcessors();
  }

  @Override
  public Running launch(WorkerTask task, int memoryMb) throws IOException {
    AtomicReference<String> reported = new AtomicReference<>();
    ChildProcess process = ChildJvm.mainClass(ProcessWorkers.class)
        .jvmOptions("-Xmx" + memoryMb + "m", "-XX:+UseSerialGC")
        .classDataArchives(CLASS_DATA)
        .name("worker process")
        .input((Base64.getEncoder().encodeToString(WorkerMessages.task(task)) + "\n").getBytes(StandardCharsets.UTF_8))
        .stdout(ChildProcess.Output.lines(line -> {
          if (line.startsWith(OUTCOME)) {
            reported.set(line.substring(OUTCOME.length()));
          }
        }))
        .start();
    running.add(process);
    CompletableFuture<WorkerTask.WorkerOutcome> outcome = process.onExit().thenApply(exit -> {
      if (reported.get() == null) {
        throw new IllegalStateException("worker process " + process.pid() + " ended with exit code " + exit
            + " before reporting (killed, or out of memory)");
      }
      return WorkerMessages.outcome(Base64.getDecoder().decode(reported.get()));
    });
    outcome.whenComplete((o, failure) -> running.remove(process));
    return new Running(outcome, process::kill);
  }

  /** The one size these workers were made with. */
  @Override
  public List<Integer> memorySizesMb() {
    return List.of(memoryMb);
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
