package dev.stratus.ps.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.Optimizer;
import org.junit.jupiter.api.Test;

class SpecFrameTest {
  private static final ModelSpec SPEC =
      ModelSpec.matrix(500, 8).optimizer(Optimizer.ADAGRAD).learningRate(0.3f).l2(1e-4f).initScale(0.05f);

  @Test
  void aSpecRoundTripsWithItsInitScale() throws MalformedFrameException {
    byte[] written = new FrameOut(Integer.MAX_VALUE).spec(SPEC).toByteArray();
    FrameIn in = new FrameIn();
    in.reset(written, 0, written.length);
    assertEquals(SPEC, in.spec());
    in.expectEnd();
  }

  @Test
  void aSpecRoundTripsWithAnAllRowsPenalty() throws MalformedFrameException {
    ModelSpec allRows = SPEC.l2AllRows(true);
    byte[] written = new FrameOut(Integer.MAX_VALUE).spec(allRows).toByteArray();
    FrameIn in = new FrameIn();
    in.reset(written, 0, written.length);
    assertEquals(allRows, in.spec());
  }

  @Test
  void aSpecRoundTripsWithAnL1PenaltyAndOneWrittenBeforeL1ReadsAsNone() throws MalformedFrameException {
    ModelSpec l1 = SPEC.l2AllRows(true).l1(1e-3f);
    byte[] written = new FrameOut(Integer.MAX_VALUE).spec(l1).toByteArray();
    FrameIn in = new FrameIn();
    in.reset(written, 0, written.length);
    assertEquals(l1, in.spec());
    in.reset(written, 0, written.length - 4); // format 3's layout, without its last field
    assertEquals(l1.l1(0f), in.specWithoutL1());
    in.expectEnd();
  }

  @Test
  void aSpecWrittenBeforeInitScaleReadsAsZeros() throws MalformedFrameException {
    byte[] written = new FrameOut(Integer.MAX_VALUE).spec(SPEC).toByteArray();
    FrameIn in = new FrameIn();
    in.reset(written, 0, written.length - 8); // the layout without its last two fields, initScale and l1
    assertEquals(SPEC.initScale(0f), in.specWithoutInitScale());
    in.expectEnd();
  }
}
