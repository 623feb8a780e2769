package dev.stratus.ps.wire;

/**
 * IEEE 754 half precision (binary16: 1 sign bit, 5 exponent bits, 10 fraction bits), the wire's compact form of a
 * weight or a gradient: about three significant decimal digits, magnitudes from 6e-8 (subnormal) to 65504. Encoding
 * rounds to the nearest half, ties to even, as a cast between IEEE formats does; decoding is exact (a table).
 */
public final class Half {
  private static final float[] TO_FLOAT = new float[1 << 16];

  static {
    for (int h = 0; h < TO_FLOAT.length; h++) {
      TO_FLOAT[h] = decode(h);
    }
  }

  private Half() {}

  /** The float this half's bits stand for. */
  public static float toFloat(short half) {
    return TO_FLOAT[half & 0xffff];
  }

  /** The half nearest {@code value}: beyond the largest half, infinity; NaN stays NaN. */
  public static short fromFloat(float value) {
    int bits = Float.floatToRawIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int magnitude = bits & 0x7fff_ffff;
    if (magnitude >= 0x7f80_0000) { // infinity, or NaN (kept a quiet NaN)
      return (short) (sign | 0x7c00 | (magnitude > 0x7f80_0000 ? 0x200 : 0));
    }
    int exponent = (magnitude >>> 23) - 127 + 15; // the half's biased exponent
    if (exponent >= 31) {
      return (short) (sign | 0x7c00);
    }
    int fraction = magnitude & 0x7f_ffff;
    if (exponent <= 0) {
      // A subnormal half counts units of 2^-24: the float's 24-bit significand shifted right by 14 - exponent.
      if (exponent < -10) {
        return (short) sign; // under half the smallest subnormal
      }
      return (short) (sign | roundedShift(fraction | 0x80_0000, 14 - exponent));
    }
    // A carry out of the fraction moves into the exponent, up to infinity: the right result either way.
    return (short) (sign | roundedShift((exponent << 23) | fraction, 13));
  }

  /** {@code value >>> shift}, rounded to nearest, ties to even. */
  private static int roundedShift(int value, int shift) {
    int kept = value >>> shift;
    int dropped = value & ((1 << shift) - 1);
    int half = 1 << (shift - 1);
    return dropped > half || (dropped == half && (kept & 1) != 0) ? kept + 1 : kept;
  }

  private static float decode(int half) {
    int sign = (half & 0x8000) << 16;
    int exponent = (half >>> 10) & 0x1f;
    int fraction = half & 0x3ff;
    if (exponent == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f80_0000 | (fraction << 13));
    }
    if (exponent == 0) {
      float subnormal = fraction * 0x1p-24f;
      return sign != 0 ? -subnormal : subnormal;
    }
    return Float.intBitsToFloat(sign | ((exponent + 127 - 15) << 23) | (fraction << 13));
  }
}
