package dev.stratus.runner.lambda.scheduler;

import dev.stratus.runner.lambda.message.TaskSummary;
import java.util.List;

/**
 * What one stage of a run took: its tasks' wall time from the first invocation to the last answer, and what its
 * attempts reported (the committed attempt of each task): their time in workers, the part of it spent waiting on the
 * object store, the elements they read and wrote. The store time is exact where each environment runs one task at a
 * time (Lambda, and the local service's process environments); in-process environments, a test convenience, share
 * one JVM's count among the tasks running at once.
 *
 * @param stage the stage as the log names it
 * @param tasks tasks run on workers (0 for a stage run in the driver)
 */
public record StageReport(
    String stage,
    int tasks,
    long wallMillis,
    long workerMillis,
    long storeMillis,
    long elementsRead,
    long elementsWritten) {

  /** The report of a stage whose tasks' committed attempts answered {@code summaries}. */
  static StageReport of(String stage, long wallMillis, List<TaskSummary> summaries) {
    return new StageReport(stage, summaries.size(), wallMillis,
        summaries.stream().mapToLong(TaskSummary::runMillis).sum(),
        summaries.stream().mapToLong(TaskSummary::storeMillis).sum(),
        summaries.stream().mapToLong(TaskSummary::elementsRead).sum(),
        summaries.stream().mapToLong(TaskSummary::elementsWritten).sum());
  }

  /** Worker time that was not store I/O: the stage's computing, its runner overhead inside the worker included. */
  public long computeMillis() {
    return Math.max(0, workerMillis - storeMillis);
  }
}
