package dev.stratus.jobs.train;

import java.util.List;

/**
 * Another launcher's generations, saying that a given number of them compute at once ({@link
 * WorkerLauncher#mostComputingAtOnce}, which bounds the workers a driver chooses), recording every task launched.
 */
final class RecordingLauncher extends ForwardingLauncher {
  private final int computing;
  private final List<WorkerTask> tasks;

  /** {@code workers}, saying that {@code computing} of them compute at once, recording every task into {@code tasks}. */
  RecordingLauncher(WorkerLauncher workers, int computing, List<WorkerTask> tasks) {
    super(workers);
    this.computing = computing;
    this.tasks = tasks;
  }

  @Override
  public Running launch(WorkerTask task, int memoryMb) throws Exception {
    tasks.add(task);
    return super.launch(task, memoryMb);
  }

  @Override
  public int mostComputingAtOnce() {
    return computing;
  }
}
