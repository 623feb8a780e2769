package dev.stratus.kernels.text;

import java.nio.charset.StandardCharsets;

/**
 * Number parsing straight from bytes, the inner loop of every loader. {@link #parseDouble} takes the exact fast path
 * (at most 15 significant digits and a power of ten up to 22: one correctly rounded multiply or divide) and hands
 * anything longer to {@link Double#parseDouble}, so results are always the correctly rounded double.
 */
public final class Numbers {
  private static final double[] POWERS_OF_TEN = new double[23];

  static {
    POWERS_OF_TEN[0] = 1;
    for (int i = 1; i < POWERS_OF_TEN.length; i++) {
      POWERS_OF_TEN[i] = POWERS_OF_TEN[i - 1] * 10;
    }
  }

  private Numbers() {}

  /** A decimal number such as {@code -1}, {@code 0.25}, {@code 3e-5}; NaN when the bytes are not one. */
  public static double parseDouble(byte[] b, int from, int to) {
    int i = from;
    boolean negative = false;
    if (i < to && (b[i] == '-' || b[i] == '+')) {
      negative = b[i] == '-';
      i++;
    }
    long mantissa = 0;
    int significant = 0;
    int exponent = 0;
    boolean anyDigit = false;
    boolean truncated = false;
    for (; i < to && b[i] >= '0' && b[i] <= '9'; i++) {
      anyDigit = true;
      if (significant < 18) {
        mantissa = mantissa * 10 + (b[i] - '0');
        significant += mantissa == 0 ? 0 : 1;
      } else {
        exponent++;
        truncated = true;
      }
    }
    if (i < to && b[i] == '.') {
      for (i++; i < to && b[i] >= '0' && b[i] <= '9'; i++) {
        anyDigit = true;
        if (significant < 18) {
          mantissa = mantissa * 10 + (b[i] - '0');
          significant += mantissa == 0 ? 0 : 1;
          exponent--;
        } else {
          truncated = true;
        }
      }
    }
    if (!anyDigit) {
      return Double.NaN;
    }
    if (i < to && (b[i] == 'e' || b[i] == 'E')) {
      i++;
      boolean negativeExponent = false;
      if (i < to && (b[i] == '-' || b[i] == '+')) {
        negativeExponent = b[i] == '-';
        i++;
      }
      int e = 0;
      int digits = 0;
      for (; i < to && b[i] >= '0' && b[i] <= '9'; i++, digits++) {
        e = Math.min(e * 10 + (b[i] - '0'), 100_000);
      }
      if (digits == 0) {
        return Double.NaN;
      }
      exponent += negativeExponent ? -e : e;
    }
    if (i != to) {
      return Double.NaN;
    }
    double value;
    if (!truncated && significant <= 15 && exponent >= -22 && exponent <= 22) {
      value = exponent < 0 ? mantissa / POWERS_OF_TEN[-exponent] : mantissa * POWERS_OF_TEN[exponent];
    } else {
      value = Double.parseDouble(new String(b, from, to - from, StandardCharsets.ISO_8859_1));
      return value; // the sign is part of the text
    }
    return negative ? -value : value;
  }

  /** A decimal integer with an optional sign; {@code Long.MIN_VALUE} when the bytes are not one that fits. */
  public static long parseLong(byte[] b, int from, int to) {
    int i = from;
    boolean negative = false;
    if (i < to && (b[i] == '-' || b[i] == '+')) {
      negative = b[i] == '-';
      i++;
    }
    if (i == to || to - i > 18) {
      return Long.MIN_VALUE;
    }
    long v = 0;
    for (; i < to; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 9) {
        return Long.MIN_VALUE;
      }
      v = v * 10 + d;
    }
    return negative ? -v : v;
  }

  /** The bytes as text, for error messages. */
  public static String text(byte[] b, int from, int to) {
    return new String(b, from, to - from, StandardCharsets.UTF_8);
  }
}
