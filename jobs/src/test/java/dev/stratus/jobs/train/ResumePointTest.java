package dev.stratus.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.kernels.iterate.MinibatchIterator.Position;
import dev.stratus.store.S3Path;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a resume point carries across a driver's death, and that one written before it carried a penalty reads. */
class ResumePointTest {
  private static final S3Path AT = S3Path.parse("s3://bucket/checkpoint/resume-point");

  @Test
  void roundTripsWithAndWithoutAPenalty() {
    List<Position> positions = List.of(new Position(0, 3, 7), new Position(1, 0, 2));
    for (float l2 : new float[] {1.5e-5f, Float.NaN}) {
      ResumePoint point = new ResumePoint("model-1", positions, l2);
      assertEquals(point, ResumePoint.decode(point.encode(), AT));
    }
  }

  @Test
  void oneWrittenBeforePenaltiesReadsAsHavingNone() {
    byte[] old = "model-1\n0 3 7\n".getBytes(StandardCharsets.UTF_8);
    assertEquals(new ResumePoint("model-1", List.of(new Position(0, 3, 7)), Float.NaN), ResumePoint.decode(old, AT));
  }
}
