package dev.stratus.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/** What every benchmark reports about the machine it ran on: its cores and load, at its start and end. */
public final class Machine {
  private Machine() {}

  /** The one-minute load average. */
  public static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  /** Prints the cores and the load average, saying {@code when} (at the start, at the end). */
  public static void printLoad(String when) {
    System.out.printf(Locale.ROOT, "%d cores, load average %.1f %s%n", Runtime.getRuntime().availableProcessors(),
        loadAverage(), when);
  }
}
