package dev.stratus.transforms.train;

import dev.stratus.ps.PsProcesses;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * One SGD worker in a JVM of its own whose heap is the worker's memory, as a Lambda environment would run it. The
 * parent sends the {@link WorkerTask} on the command line, asks the worker to stop by closing its standard input,
 * and reads the {@link WorkerTask.WorkerOutcome} from the last line of its standard output.
 */
public final class WorkerProcess {
  private static final String OUTCOME = "STRATUS_WORKER_OUTCOME ";

  private WorkerProcess() {}

  /** Starts a worker JVM with a heap of {@code heapMb} MB. */
  static Process start(WorkerTask task, int heapMb) throws IOException {
    return new ProcessBuilder(
            List.of(
                javaBinary(),
                "-Xmx" + heapMb + "m",
                "-XX:+UseSerialGC",
                "-cp",
                PsProcesses.currentClasspath(),
                WorkerProcess.class.getName(),
                encode(task)))
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
  }

  /** Waits for the worker to end and returns its outcome; a worker that died without one fails here. */
  static WorkerTask.WorkerOutcome await(Process process) throws Exception {
    String outcome = null;
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        if (line.startsWith(OUTCOME)) {
          outcome = line.substring(OUTCOME.length());
        }
      }
    }
    int exit = process.waitFor();
    if (outcome == null) {
      throw new IllegalStateException("worker process " + process.pid() + " ended with exit code " + exit
          + " before reporting (killed, or out of memory)");
    }
    return (WorkerTask.WorkerOutcome) decode(outcome);
  }

  /** Asks the worker to stop after its current iteration. */
  static void requestStop(Process process) {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      process.destroy(); // it is already gone or its pipe is broken: either way, it must end
    }
  }

  public static void main(String[] args) throws Exception {
    WorkerTask task = (WorkerTask) decode(args[0]);
    StopSignal stop = new StopSignal();
    Thread watcher = new Thread(stop, "stop-signal");
    watcher.setDaemon(true);
    watcher.start();
    WorkerTask.WorkerOutcome outcome = task.run(stop::requested);
    System.out.println(OUTCOME + encode(outcome));
    System.out.flush();
    // The store client's threads are not daemons.
    System.exit(0);
  }

  /** Turns the end of standard input (the parent closed it, or died) into a stop request. */
  private static final class StopSignal implements Runnable {
    private volatile boolean requested;

    boolean requested() {
      return requested;
    }

    @Override
    public void run() {
      try {
        while (System.in.read() >= 0) {
          // Only the end of the stream means something.
        }
      } catch (IOException e) {
        // A broken pipe is an end too.
      }
      requested = true;
    }
  }

  private static String javaBinary() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  private static String encode(Serializable value) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(value);
    }
    return Base64.getEncoder().encodeToString(bytes.toByteArray());
  }

  private static Object decode(String text) throws IOException, ClassNotFoundException {
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(text)))) {
      return in.readObject();
    }
  }
}
