package dev.stratus.ps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ModelSpecTest {

  @Test
  void initScaleIsZeroUnlessSetAndMustBeFiniteAndNotNegative() {
    assertEquals(0f, ModelSpec.vector(4).initScale());
    assertEquals(0f, ModelSpec.matrix(3, 2).initScale());
    ModelSpec spec = ModelSpec.matrix(3, 2).optimizer(Optimizer.MOMENTUM).momentum(0.9f).initScale(0.1f).l2(1e-3f);
    assertEquals(new ModelSpec(3, 2, Optimizer.MOMENTUM, 0.1f, 1e-3f, 0.9f, 0.1f, false, 0f, true), spec, "withers keep the rest");
    for (float bad : new float[] {-0.1f, Float.NaN, Float.POSITIVE_INFINITY}) {
      String message = assertThrows(IllegalArgumentException.class, () -> spec.initScale(bad)).getMessage();
      assertTrue(message.contains("initScale") && message.contains(String.valueOf(bad)), message);
    }
  }

  @Test
  void initialValuesAreUniformWithinTheScaleAndSplitMix64sFromSeedZero() {
    assertEquals(0f, ModelSpec.matrix(3, 2).initialValue(5), "initScale 0: zeros, never -0");
    ModelSpec spec = ModelSpec.matrix(1000, 100).initScale(0.1f);
    int n = (int) spec.size();
    double sum = 0;
    double squares = 0;
    for (int i = 0; i < n; i++) {
      float v = spec.initialValue(i);
      assertTrue(v >= -0.1f && v <= 0.1f, "position " + i + ": " + v);
      sum += v;
      squares += v * v;
    }
    assertEquals(0, sum / n, 1e-3, "mean");
    assertEquals(0.01 / 3, squares / n, 1e-4, "variance of uniform [-0.1, 0.1]");
    // The documented identity: the top 24 bits of SplittableRandom(0)'s position-th long, centred and scaled.
    SplittableRandom random = new SplittableRandom(0);
    for (int i = 0; i < 1000; i++) {
      assertEquals(0.1f * (((int) (random.nextLong() >>> 40) - (1 << 23)) * 0x1p-23f), spec.initialValue(i));
    }
  }
}
