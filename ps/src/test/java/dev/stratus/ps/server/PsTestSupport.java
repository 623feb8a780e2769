package dev.stratus.ps.server;

import dev.stratus.ps.client.PsClient;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

final class PsTestSupport {
  private PsTestSupport() {}

  /** A key-value value written by {@link PsClient#add}: little-endian floats. */
  static float[] floats(byte[] value) {
    float[] v = new float[value.length / 4];
    ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
    return v;
  }
}
