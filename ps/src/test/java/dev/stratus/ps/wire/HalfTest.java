package dev.stratus.ps.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Half precision as IEEE 754 defines it: every half survives a round trip, every float goes to its nearest half. */
class HalfTest {
  @Test
  void everyHalfComesBackFromItsFloat() {
    for (int h = 0; h < 1 << 16; h++) {
      float value = Half.toFloat((short) h);
      if (Float.isNaN(value)) {
        assertTrue(Float.isNaN(Half.toFloat(Half.fromFloat(value))), "NaN stays NaN");
      } else {
        assertEquals(h, Half.fromFloat(value) & 0xffff, "half 0x" + Integer.toHexString(h) + " = " + value);
      }
    }
  }

  @Test
  void knownValuesAndTheEdgesOfTheRange() {
    assertEquals(1f, Half.toFloat((short) 0x3c00));
    assertEquals(-2f, Half.toFloat((short) 0xc000));
    assertEquals(65504f, Half.toFloat((short) 0x7bff));
    assertEquals(0x1p-24f, Half.toFloat((short) 0x0001), "the smallest subnormal");
    assertEquals(0x1p-14f, Half.toFloat((short) 0x0400), "the smallest normal");
    assertEquals(0x7c00, Half.fromFloat(65520f) & 0xffff, "half-way past the largest rounds to infinity");
    assertEquals(0x7bff, Half.fromFloat(65519f) & 0xffff);
    assertEquals(0x0000, Half.fromFloat(0x1p-25f) & 0xffff, "a tie under the smallest subnormal goes to even, 0");
    assertEquals(0x0001, Half.fromFloat(0x1.0001p-25f) & 0xffff, "just over that tie, the smallest subnormal");
    assertEquals(0x8000, Half.fromFloat(-0f) & 0xffff, "negative zero");
    assertEquals(0x3c00, Half.fromFloat(1f + 0x1p-11f) & 0xffff, "a tie between 1 and the next half goes to 1");
    assertEquals(0x3c02, Half.fromFloat(1f + 3 * 0x1p-11f) & 0xffff, "and between odd and even, to even");
  }

  @Test
  void everyFloatGoesToTheNearestHalf() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 1_000_000; i++) {
      // every exponent a half can reach or round to, both signs, short of the overflow to infinity (tested above)
      float value = Float.intBitsToFloat(random.nextInt(0x3000_0000, 0x477f_f000) | (random.nextBoolean() ? 1 << 31 : 0));
      short half = Half.fromFloat(value);
      double error = Math.abs((double) Half.toFloat(half) - value);
      for (int neighbor : new int[] {(half & 0xffff) - 1, (half & 0xffff) + 1}) {
        float other = Half.toFloat((short) neighbor);
        if ((neighbor & 0x7fff) < 0x7c00 && (neighbor & 0x8000) == (half & 0x8000)) {
          assertTrue(error <= Math.abs((double) other - value),
              value + " went to " + Half.toFloat(half) + " though " + other + " is nearer");
        }
      }
    }
  }
}
