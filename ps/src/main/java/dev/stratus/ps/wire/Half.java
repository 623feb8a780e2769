package dev.stratus.ps.wire;

/**
 * IEEE 754 half precision (binary16: 1 sign bit, 5 exponent bits, 10 fraction bits), the wire's compact form of a
 * weight or a gradient: about three significant decimal digits, magnitudes from 6e-8 (subnormal) to 65504. Encoding
 * rounds to the nearest half, ties to even, as a cast between IEEE formats does; decoding is exact. Both take a
 * branch-light path for normal halves, the values weights and gradients mostly are.
 */
public final class Half {
  /** The float bits of the smallest normal half, 2^-14, and of 2^16, past which every float is a half's infinity. */
  private static final int SMALLEST_NORMAL = 0x3880_0000;
  private static final int TWO_TO_16 = 0x4780_0000;
  /** Float bits minus this are a normal half's bits, shifted left by 13: the exponent biased by 15, not 127. */
  private static final int REBIAS = (127 - 15) << 23;

  private Half() {}

  /** The float this half's bits stand for. */
  public static float toFloat(short half) {
    int bits = half & 0xffff;
    int exponent = bits & 0x7c00;
    if (exponent != 0 && exponent != 0x7c00) { // normal: the common case, no branch beyond this
      return Float.intBitsToFloat(((bits & 0x8000) << 16) | (((bits & 0x7fff) << 13) + REBIAS));
    }
    return decodeEdge(bits);
  }

  /** The half nearest {@code value}: beyond the largest half, infinity; NaN stays NaN. */
  public static short fromFloat(float value) {
    int bits = Float.floatToRawIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int magnitude = bits & 0x7fff_ffff;
    if (magnitude >= SMALLEST_NORMAL && magnitude < TWO_TO_16) { // a normal half, or infinity by rounding up
      // Ties to even without a branch: add just under half a unit, and the last whole one's bit.
      int rebiased = magnitude - REBIAS;
      return (short) (sign | (rebiased + 0xfff + ((rebiased >>> 13) & 1)) >>> 13);
    }
    if (magnitude >= 0x7f80_0000) { // infinity, or NaN (kept a quiet NaN)
      return (short) (sign | 0x7c00 | (magnitude > 0x7f80_0000 ? 0x200 : 0));
    }
    if (magnitude >= TWO_TO_16) {
      return (short) (sign | 0x7c00);
    }
    // A subnormal half counts units of 2^-24: the float's 24-bit significand shifted right by 14 - exponent.
    int exponent = (magnitude >>> 23) - 127 + 15;
    if (exponent < -10) {
      return (short) sign; // under half the smallest subnormal
    }
    return (short) (sign | roundedShift((magnitude & 0x7f_ffff) | 0x80_0000, 14 - exponent));
  }

  /** {@code value >>> shift}, rounded to nearest, ties to even. */
  private static int roundedShift(int value, int shift) {
    int kept = value >>> shift;
    int dropped = value & ((1 << shift) - 1);
    int half = 1 << (shift - 1);
    return dropped > half || (dropped == half && (kept & 1) != 0) ? kept + 1 : kept;
  }

  /** Zero, subnormals, infinities and NaN. */
  private static float decodeEdge(int half) {
    int sign = (half & 0x8000) << 16;
    int fraction = half & 0x3ff;
    if ((half & 0x7c00) != 0) {
      return Float.intBitsToFloat(sign | 0x7f80_0000 | (fraction << 13));
    }
    float subnormal = fraction * 0x1p-24f;
    return sign != 0 ? -subnormal : subnormal;
  }
}
