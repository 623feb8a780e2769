package dev.stratus.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.iterate.MinibatchIterator.Position;
import dev.stratus.store.S3Path;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a resume point (an SGD driver's, an L-BFGS driver's) carries across a driver's death, that one written before it
 * carried a penalty reads, and that neither kind reads as the other.
 */
class ResumePointTest {
  private static final S3Path AT = S3Path.parse("s3://bucket/checkpoint/resume-point");

  @Test
  void roundTripsWithAndWithoutAPenaltyAndShardsAdded() {
    List<Position> positions = List.of(new Position(0, 3, 7), new Position(1, 0, 2));
    for (float l2 : new float[] {1.5e-5f, Float.NaN}) {
      for (List<Integer> added : List.of(List.<Integer>of(), List.of(1), List.of(2, 4))) {
        ResumePoint point = new ResumePoint("model-1", positions, l2, added);
        assertEquals(point, ResumePoint.decode(point.encode(), AT));
      }
    }
  }

  @Test
  void oneWrittenBeforePenaltiesReadsAsHavingNone() {
    byte[] old = "model-1\n0 3 7\n".getBytes(StandardCharsets.UTF_8);
    assertEquals(new ResumePoint("model-1", List.of(new Position(0, 3, 7)), Float.NaN, List.of()), ResumePoint.decode(old, AT));
  }

  @Test
  void anLbfgsPointRoundTripsWithAndWithoutAKeptModel() {
    float[] iterate = {0.5f, -1.25f, 0f, 3e-7f};
    for (QuasiNewtonPoint point : List.of(
        new QuasiNewtonPoint("model-2", 1.5e-5f, 42, iterate, new float[] {1, 2, 3, 4}, 0.4321, 5e-5f, true),
        new QuasiNewtonPoint("model-2", Float.NaN, 3, iterate, null, Double.POSITIVE_INFINITY, Float.NaN, false))) {
      byte[] bytes = point.encode();
      assertTrue(QuasiNewtonPoint.isOne(bytes));
      assertEquals(point, QuasiNewtonPoint.decode(bytes, AT));
    }
  }

  @Test
  void neitherKindOfPointReadsAsTheOther() {
    byte[] sgd = new ResumePoint("model-1", List.of(new Position(0, 3, 7)), Float.NaN, List.of()).encode();
    assertFalse(QuasiNewtonPoint.isOne(sgd));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> QuasiNewtonPoint.decode(sgd, AT));
    assertTrue(e.getMessage().contains(AT.toString()), e.getMessage());
    byte[] cut = new QuasiNewtonPoint("m", 1f, 1, new float[8], null, 0, 0, false).encode();
    e = assertThrows(IllegalStateException.class,
        () -> QuasiNewtonPoint.decode(Arrays.copyOf(cut, cut.length - 5), AT));
    assertTrue(e.getMessage().contains("cut short"), e.getMessage());
  }
}
