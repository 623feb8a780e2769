package dev.stratus.jobs.train;

import java.util.List;

/**
 * Another launcher's generations, saying that a given number of them compute at once ({@link
 * WorkerLauncher#mostComputingAtOnce}, which bounds the workers a driver chooses), recording every task launched.
 */
final class RecordingLauncher implements WorkerLauncher {
  private final WorkerLauncher workers;
  private final int computing;
  private final List<WorkerTask> tasks;

  /** {@code workers}, saying that {@code computing} of them compute at once, recording every task into {@code tasks}. */
  RecordingLauncher(WorkerLauncher workers, int computing, List<WorkerTask> tasks) {
    this.workers = workers;
    this.computing = computing;
    this.tasks = tasks;
  }

  @Override
  public Running launch(WorkerTask task, int memoryMb) throws Exception {
    tasks.add(task);
    return workers.launch(task, memoryMb);
  }

  @Override
  public List<Integer> memorySizesMb() {
    return workers.memorySizesMb();
  }

  @Override
  public long memoryPerWorker(int count, int memoryMb) {
    return workers.memoryPerWorker(count, memoryMb);
  }

  @Override
  public int mostComputingAtOnce() {
    return computing;
  }

  @Override
  public void close() {
    workers.close();
  }
}
