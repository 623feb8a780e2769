package dev.stratus.benchmarks;

import dev.stratus.jvm.LinuxProcesses;

/**
 * CPU time of this JVM and of every process it started, directly or not, running or ended: what a job costs in all
 * its processes (the driver, Lambda environments, shard and store processes, and their JVMs' own class loading, JIT
 * compiles and GC), read from Linux's {@code /proc}. A process that ended and was reaped counts in its parent's
 * {@code cutime}/{@code cstime}, so each is counted once whether it still runs or not; what an orphan's new parent
 * reaps is lost, and the resolution is the kernel's clock tick (10 ms).
 */
public final class ProcessTreeCpu {
  private ProcessTreeCpu() {}

  /** CPU seconds, user and system, of this process tree so far. */
  public static double seconds() {
    ProcessHandle self = ProcessHandle.current();
    return LinuxProcesses.cpuSecondsWithReapedChildren(self.pid())
        + self.descendants().mapToDouble(p -> LinuxProcesses.cpuSecondsWithReapedChildren(p.pid())).sum();
  }
}
