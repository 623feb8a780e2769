package dev.stratus.jobs.train;

import dev.stratus.jvm.ClassPath;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Worker generations as JVMs of their own whose heap is the worker's memory, as a Lambda environment would run them.
 * The task goes to the child on its standard input (it holds secrets, which never go on a command line); the outcome
 * comes back on the last line of its standard output.
 */
public final class ProcessWorkers implements WorkerLauncher {
  private static final String OUTCOME = "STRATUS_WORKER_OUTCOME ";

  private final int memoryMb;
  private final Set<Process> running = ConcurrentHashMap.newKeySet();

  public ProcessWorkers(int memoryMb) {
    this.memoryMb = memoryMb;
  }

  @Override
  public Running launch(WorkerTask task) throws IOException {
    Process process =
        new ProcessBuilder(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx" + memoryMb + "m",
                    "-XX:+UseSerialGC",
                    "-cp",
                    ClassPath.current(),
                    ProcessWorkers.class.getName()))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    running.add(process);
    try (OutputStream in = process.getOutputStream()) {
      in.write(Base64.getEncoder().encode(WorkerMessages.task(task)));
      in.write('\n');
    }
    CompletableFuture<WorkerTask.WorkerOutcome> outcome =
        CompletableFuture.supplyAsync(() -> await(process), command -> daemon(command, "worker-process-" + process.pid()));
    outcome.whenComplete((o, failure) -> running.remove(process));
    return new Running(outcome, process::destroyForcibly);
  }

  private static void daemon(Runnable command, String name) {
    Thread thread = new Thread(command, name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Waits for the worker to end and returns its outcome; a worker that died without one fails here. */
  private static WorkerTask.WorkerOutcome await(Process process) {
    String outcome = null;
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        if (line.startsWith(OUTCOME)) {
          outcome = line.substring(OUTCOME.length());
        }
      }
      int exit = process.waitFor();
      if (outcome == null) {
        throw new IllegalStateException("worker process " + process.pid() + " ended with exit code " + exit
            + " before reporting (killed, or out of memory)");
      }
    } catch (IOException e) {
      throw new IllegalStateException("lost worker process " + process.pid() + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for worker process " + process.pid(), e);
    }
    return WorkerMessages.outcome(Base64.getDecoder().decode(outcome));
  }

  @Override
  public void close() {
    running.forEach(Process::destroyForcibly);
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
