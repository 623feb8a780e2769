package dev.stratus.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of this JVM and of every process it started, directly or not, running or ended: what a job costs in all
 * its processes (the driver, Lambda environments, shard and store processes, and their JVMs' own class loading, JIT
 * compiles and GC), read from Linux's {@code /proc}. A process that ended and was reaped counts in its parent's
 * {@code cutime}/{@code cstime}, so each is counted once whether it still runs or not; what an orphan's new parent
 * reaps is lost, and the resolution is the kernel's clock tick (10 ms).
 */
public final class ProcessTreeCpu {
  /** Linux's USER_HZ, which {@code /proc/PID/stat} counts in everywhere. */
  private static final double TICKS_PER_SECOND = 100;

  private ProcessTreeCpu() {}

  /** CPU seconds, user and system, of this process tree so far. */
  public static double seconds() {
    long ticks = ticks(ProcessHandle.current().pid());
    ticks += ProcessHandle.current().descendants().mapToLong(p -> ticks(p.pid())).sum();
    return ticks / TICKS_PER_SECOND;
  }

  /** utime + stime + cutime + cstime of one process; 0 for one that is gone. */
  private static long ticks(long pid) {
    String stat;
    try {
      stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
    } catch (IOException gone) {
      return 0;
    }
    // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, utime 14.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long sum = 0;
    for (int field = 14; field <= 17; field++) {
      sum += Long.parseLong(fields[field - 3]);
    }
    return sum;
  }
}
