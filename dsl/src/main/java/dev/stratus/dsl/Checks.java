package dev.stratus.dsl;

import java.time.Duration;

/** Option checks whose messages name the option, the value and the valid range. */
final class Checks {
  private Checks() {}

  static int inRange(String option, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(option + " must be in [" + min + ", " + max + "], got " + value);
    }
    return value;
  }

  /** {@code minInclusive} false means the lower bound is open: (min, max]. */
  static double inRange(String option, double value, double min, double max, boolean minInclusive) {
    boolean aboveMin = minInclusive ? value >= min : value > min;
    if (!aboveMin || !(value <= max)) {
      throw new IllegalArgumentException(
          option + " must be in " + (minInclusive ? "[" : "(") + min + ", " + max + "], got " + value);
    }
    return value;
  }

  static Duration inRange(String option, Duration value, Duration min, Duration max) {
    if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(option + " must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }
}
