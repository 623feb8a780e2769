package dev.stratus.jobs.train;

import java.util.List;

/**
 * Another launcher, every call passed on to it: what a test launcher that changes one thing about it (how it launches,
 * what it records, the sizes it offers) extends, overriding that alone.
 */
public class ForwardingLauncher implements WorkerLauncher {
  protected final WorkerLauncher launcher;

  public ForwardingLauncher(WorkerLauncher launcher) {
    this.launcher = launcher;
  }

  @Override
  public Running launch(WorkerTask task, int memoryMb) throws Exception {
    return launcher.launch(task, memoryMb);
  }

  @Override
  public List<Integer> memorySizesMb() {
    return launcher.memorySizesMb();
  }

  @Override
  public long memoryPerWorker(int workers, int memoryMb) {
    return launcher.memoryPerWorker(workers, memoryMb);
  }

  @Override
  public boolean cpuGrowsWithMemory() {
    return launcher.cpuGrowsWithMemory();
  }

  @Override
  public int mostComputingAtOnce() {
    return launcher.mostComputingAtOnce();
  }

  @Override
  public void close() {
    launcher.close();
  }
}
