package dev.stratus.benchmarks;

import java.util.List;

/** What benchmarks that alternate their variants round by round make of the rounds. */
public final class Rounds {
  private Rounds() {}

  /** The median of {@code values} (the upper one of an even count): a noisy machine's outliers leave it alone. */
  public static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }
}
