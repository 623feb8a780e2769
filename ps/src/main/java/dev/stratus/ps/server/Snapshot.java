package dev.stratus.ps.server;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.PsException;
import dev.stratus.ps.wire.FrameIn;
import dev.stratus.ps.wire.FrameOut;
import dev.stratus.ps.wire.MalformedFrameException;
import java.util.Arrays;
import java.util.Map;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;

/**
 * A shard's slice of a model as stored in the object store: one LZ4-compressed object holding the model's id on the
 * shard, the spec, the row range, the clock, the pushes applied, when it was taken, per-worker counts, the weights and
 * the optimizer state. {@link Snapshots} decides which object is a model's latest. Format 3 added the spec's
 * initScale, format 4 its L1 penalty; a format-2 snapshot still reads, as initScale 0 (the zeros its model started
 * at), and a format-3 one as L1 0. A restore replaces
 * the model's initial values whole: the weights a snapshot holds are the model.
 *
 * @param id the model's id on its shard, which clients name it by: a restored model keeps it
 * @param changes push slices applied to this slice of the model ({@code ServerModel.changes()})
 * @param takenAtMillis when it was taken, in milliseconds since the epoch
 */
record Snapshot(
    int id,
    String name,
    ModelSpec spec,
    int rowStart,
    int rowEnd,
    long clock,
    long changes,
    long takenAtMillis,
    Map<Integer, Long> updatesByWorker,
    float[] weights,
    float[] state) {
  private static final int MAGIC = 0x53505334; // "SPS4": format version 4
  private static final int FORMAT_3 = 0x53505333; // "SPS3": its spec without L1
  private static final int FORMAT_2 = 0x53505332; // "SPS2": its spec without initScale either

  byte[] encode() {
    FrameOut out = new FrameOut(Integer.MAX_VALUE);
    out.i32(MAGIC).i32(id).str(name).spec(spec).i32(rowStart).i32(rowEnd).i64(clock).i64(changes).i64(takenAtMillis)
        .updateCounts(updatesByWorker);
    out.floatArray(weights);
    out.u8(state == null ? 0 : 1);
    if (state != null) {
      out.floatArray(state);
    }
    byte[] raw = out.toByteArray();
    byte[] compressed = LZ4Factory.fastestInstance().fastCompressor().compress(raw);
    FrameOut result = new FrameOut(Integer.MAX_VALUE);
    result.i32(MAGIC).i32(raw.length);
    byte[] encoded = Arrays.copyOf(result.toByteArray(), 8 + compressed.length);
    System.arraycopy(compressed, 0, encoded, 8, compressed.length);
    return encoded;
  }

  static Snapshot decode(byte[] bytes, String where) {
    try {
      FrameIn header = new FrameIn();
      header.reset(bytes, 0, bytes.length);
      int magic = header.i32();
      if (magic != MAGIC && magic != FORMAT_3 && magic != FORMAT_2) {
        throw new IllegalArgumentException("not a parameter-server snapshot of format 2, 3 or 4 (bad magic)");
      }
      int rawLength = header.i32();
      byte[] raw = LZ4Factory.fastestInstance().safeDecompressor().decompress(bytes, 8, bytes.length - 8, rawLength);
      FrameIn in = new FrameIn();
      in.reset(raw, 0, raw.length);
      if (in.i32() != magic) {
        throw new IllegalArgumentException("corrupt snapshot body");
      }
      int id = in.i32();
      String name = in.str();
      ModelSpec spec = magic == FORMAT_2 ? in.specWithoutInitScale()
          : magic == FORMAT_3 ? in.specWithoutL1()
          : in.spec();
      int rowStart = in.i32();
      int rowEnd = in.i32();
      long clock = in.i64();
      long changes = in.i64();
      long takenAt = in.i64();
      Map<Integer, Long> counts = in.updateCounts();
      float[] weights = in.floats();
      float[] state = in.u8() == 0 ? null : in.floats();
      in.expectEnd();
      return new Snapshot(id, name, spec, rowStart, rowEnd, clock, changes, takenAt, counts, weights, state);
    } catch (MalformedFrameException | LZ4Exception | IllegalArgumentException e) {
      throw new PsException("snapshot " + where + " is unreadable: " + e.getMessage(), e);
    }
  }
}
