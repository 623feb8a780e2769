package dev.stratus.jobs.train;

import dev.stratus.store.S3Path;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What the driver of an {@link Solver#LBFGS} training that died leaves for the next one, where an SGD driver leaves its
 * {@link ResumePoint}: the solver's state lives in the driver alone (the shards hold only the round in progress, which
 * is never snapshotted), so the driver writes the latest accepted iterate, and the model it kept so far, into the
 * store. The next driver starts the solver again from that iterate (its curvature pairs are rebuilt within a few
 * passes) under a model name of its own, after asking the dead driver's workers to stop.
 *
 * @param modelName the dead driver's model name, under which its workers watch for rounds
 * @param l2 the penalty the training had reached on its {@link PenaltyPath}; NaN for a training without one
 * @param passes the passes over the data the training had made
 * @param iterate the latest iterate the line search accepted, at penalty {@code l2}
 * @param kept the model the driver kept so far (a penalty's optimum), or null before it kept one
 * @param keptLoss the kept model's validation loss
 * @param keptL2 the penalty the kept model was trained at
 * @param pathEnded whether the path had ended: {@code l2} is then its best penalty, solved on to the tight tolerance,
 *     and a resumed driver goes on solving it rather than along the path
 */
public record QuasiNewtonPoint(String modelName, float l2, long passes, float[] iterate, float[] kept,
    double keptLoss, float keptL2, boolean pathEnded) {
  /** Leads the object, so that neither kind of resume point is read as the other. */
  private static final byte[] MAGIC = "stratus L-BFGS resume point 1\n".getBytes(StandardCharsets.US_ASCII);

  /** Whether {@code bytes} are a point an L-BFGS driver wrote (else an SGD driver's {@link ResumePoint}). */
  static boolean isOne(byte[] bytes) {
    return bytes.length >= MAGIC.length && Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
  }

  byte[] encode() {
    byte[] name = modelName.getBytes(StandardCharsets.UTF_8);
    int floats = iterate.length + (kept == null ? 0 : kept.length);
    ByteBuffer out =
        ByteBuffer.allocate(MAGIC.length + 4 + name.length + 4 + 8 + 4 + 1 + 4 + 8 + 4 + 1 + 4 * floats);
    out.put(MAGIC).putInt(name.length).put(name).putFloat(l2).putLong(passes);
    putFloats(out, iterate);
    out.put((byte) (kept != null ? 1 : 0));
    if (kept != null) {
      putFloats(out, kept);
      out.putDouble(keptLoss).putFloat(keptL2);
    }
    out.put((byte) (pathEnded ? 1 : 0)); // last: a point written before it was recorded reads as mid-path
    return Arrays.copyOf(out.array(), out.position());
  }

  /** The point in {@code bytes}, read from {@code where} (which an error names). */
  public static QuasiNewtonPoint decode(byte[] bytes, S3Path where) {
    if (!isOne(bytes)) {
      throw new IllegalStateException("the resume point " + where + " is not one an L-BFGS driver wrote");
    }
    ByteBuffer in = ByteBuffer.wrap(bytes, MAGIC.length, bytes.length - MAGIC.length);
    try {
      byte[] name = new byte[in.getInt()];
      in.get(name);
      String modelName = new String(name, StandardCharsets.UTF_8);
      float l2 = in.getFloat();
      long passes = in.getLong();
      float[] iterate = getFloats(in);
      boolean hasKept = in.get() != 0;
      float[] kept = hasKept ? getFloats(in) : null;
      double keptLoss = hasKept ? in.getDouble() : Double.POSITIVE_INFINITY;
      float keptL2 = hasKept ? in.getFloat() : Float.NaN;
      boolean pathEnded = in.hasRemaining() && in.get() != 0;
      return new QuasiNewtonPoint(modelName, l2, passes, iterate, kept, keptLoss, keptL2, pathEnded);
    } catch (RuntimeException e) {
      throw new IllegalStateException("the resume point " + where + " is cut short or damaged: " + e, e);
    }
  }

  private static void putFloats(ByteBuffer out, float[] values) {
    out.putInt(values.length);
    out.asFloatBuffer().put(values);
    out.position(out.position() + 4 * values.length);
  }

  private static float[] getFloats(ByteBuffer in) {
    float[] values = new float[in.getInt()];
    in.asFloatBuffer().get(values);
    in.position(in.position() + 4 * values.length);
    return values;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof QuasiNewtonPoint p && modelName.equals(p.modelName)
        && Float.compare(l2, p.l2) == 0 && passes == p.passes && Arrays.equals(iterate, p.iterate)
        && Arrays.equals(kept, p.kept) && Double.compare(keptLoss, p.keptLoss) == 0
        && Float.compare(keptL2, p.keptL2) == 0 && pathEnded == p.pathEnded;
  }

  @Override
  public int hashCode() {
    return 31 * modelName.hashCode() + Long.hashCode(passes);
  }
}
