package dev.stratus.jvm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What Linux's {@code /proc} tells of a process that {@link ProcessHandle} does not: its whole command line
 * ({@link ProcessHandle.Info#arguments} has none for one longer than a page, as a JVM's with a real class path is),
 * its environment, whether it ended though its reaper has not collected it yet, and its CPU time. A process that is
 * gone reads as ended, with an empty command line and environment and no CPU time.
 */
public final class LinuxProcesses {
  /** Linux's USER_HZ, the unit of every time in {@code /proc/PID/stat}. */
  private static final double TICKS_PER_SECOND = 100;

  private LinuxProcesses() {}

  /** Its command line, argument by argument. */
  public static List<String> commandLine(long pid) {
    String raw = read(pid, "cmdline");
    return raw.isEmpty() ? List.of() : List.of(raw.split("\0"));
  }

  /** Its environment, {@code NAME=value} by entry. */
  public static List<String> environment(long pid) {
    String raw = read(pid, "environ");
    return raw.isEmpty() ? List.of() : List.of(raw.split("\0"));
  }

  /**
   * Whether it ended: it is gone, or it is a zombie its reaper (init, once its parent died) has yet to collect, which
   * {@link ProcessHandle#isAlive} counts as alive.
   */
  public static boolean ended(long pid) {
    String[] fields = statFields(pid);
    return fields == null || fields[0].equals("Z");
  }

  /**
   * CPU seconds, user and system, of the process and of its children that ended and it reaped (which is how a
   * process's time reaches its parent once it is gone).
   */
  public static double cpuSecondsWithReapedChildren(long pid) {
    String[] fields = statFields(pid);
    if (fields == null) {
      return 0;
    }
    long ticks = 0;
    for (int field = 14; field <= 17; field++) { // utime, stime, cutime, cstime
      ticks += Long.parseLong(fields[field - 3]);
    }
    return ticks / TICKS_PER_SECOND;
  }

  /** The fields of {@code /proc/PID/stat} from the third (the state) on; null when the process is gone. */
  private static String[] statFields(long pid) {
    String stat = read(pid, "stat");
    // The second field, the command name, is in parentheses and may hold spaces.
    return stat.isEmpty() ? null : stat.substring(stat.lastIndexOf(')') + 2).split(" ");
  }

  private static String read(long pid, String file) {
    try {
      return Files.readString(Path.of("/proc", String.valueOf(pid), file), StandardCharsets.UTF_8);
    } catch (IOException gone) {
      return "";
    }
  }
}
