package dev.stratus.ps.wire;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.ShardMetrics;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

/**
 * A growable buffer that frames are encoded into, then written to a socket in one call. Several frames may be
 * appended before one {@link #writeTo}: that is how the server batches replies to pipelined requests.
 *
 * <p>Not thread-safe: each connection owns one and guards it with its own lock.
 */
public final class FrameOut {
  private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle SHORT =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle FLOAT =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
  private static final LZ4Compressor LZ4 = LZ4Factory.fastestInstance().fastCompressor();

  private final int compressAbove;
  private static final int INITIAL_BYTES = 1024;

  private byte[] buf = new byte[INITIAL_BYTES];
  private byte[] scratch = new byte[0];
  private int size;
  private int frameStart = -1;

  /** @param compressAbove bodies longer than this many bytes are LZ4-compressed when that makes them smaller */
  public FrameOut(int compressAbove) {
    this.compressAbove = compressAbove;
  }

  public int size() {
    return size;
  }

  public void clear() {
    size = 0;
    frameStart = -1;
  }

  private void ensure(int more) {
    if (size + more > buf.length) {
      byte[] bigger = new byte[Math.max(buf.length * 2, size + more)];
      System.arraycopy(buf, 0, bigger, 0, size);
      buf = bigger;
    }
  }

  public FrameOut begin(byte opcode, int requestId) {
    ensure(4 + Wire.HEADER_BYTES);
    frameStart = size;
    size += 4;
    buf[size++] = opcode;
    buf[size++] = 0;
    INT.set(buf, size, requestId);
    size += 4;
    return this;
  }

  /** Closes the frame begun last: compresses a large body if that pays, then writes the length prefix. */
  public void end() {
    int bodyStart = frameStart + 4 + Wire.HEADER_BYTES;
    int bodyLength = size - bodyStart;
    if (bodyLength > compressAbove) {
      int bound = LZ4.maxCompressedLength(bodyLength);
      if (scratch.length < bound) {
        scratch = new byte[bound];
      }
      int compressed = LZ4.compress(buf, bodyStart, bodyLength, scratch, 0, bound);
      if (compressed + 4 < bodyLength) {
        INT.set(buf, bodyStart, bodyLength);
        System.arraycopy(scratch, 0, buf, bodyStart + 4, compressed);
        size = bodyStart + 4 + compressed;
        buf[frameStart + 5] = Wire.FLAG_LZ4;
      }
    }
    INT_BE.set(buf, frameStart, size - frameStart - 4);
    frameStart = -1;
  }

  /** The length of the frame begun last, so far (header included, length prefix excluded). */
  public int currentFrameLength() {
    return size - frameStart - 4;
  }

  /** Drops the frame begun last (a reply that failed halfway), keeping the frames before it. */
  public void abandonFrame() {
    if (frameStart >= 0) {
      size = frameStart;
      frameStart = -1;
    }
  }

  public FrameOut u8(int v) {
    ensure(1);
    buf[size++] = (byte) v;
    return this;
  }

  public FrameOut i32(int v) {
    ensure(4);
    INT.set(buf, size, v);
    size += 4;
    return this;
  }

  public FrameOut i64(long v) {
    ensure(8);
    LONG.set(buf, size, v);
    size += 8;
    return this;
  }

  public FrameOut f32(float v) {
    ensure(4);
    FLOAT.set(buf, size, v);
    size += 4;
    return this;
  }

  public FrameOut varint(int v) {
    ensure(5);
    while ((v & ~0x7F) != 0) {
      buf[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[size++] = (byte) v;
    return this;
  }

  public FrameOut floats(float[] v, int offset, int n) {
    ensure(n * 4);
    byte[] b = buf;
    int at = size;
    for (int i = 0; i < n; i++) {
      FLOAT.set(b, at, v[offset + i]);
      at += 4;
    }
    size = at;
    return this;
  }

  /** {@code n} floats as {@link Half}s, two bytes each. */
  public FrameOut halves(float[] v, int offset, int n) {
    ensure(n * 2);
    byte[] b = buf;
    int at = size;
    for (int i = 0; i < n; i++) {
      SHORT.set(b, at, Half.fromFloat(v[offset + i]));
      at += 2;
    }
    size = at;
    return this;
  }

  /** {@link #gather} as {@link Half}s. */
  public FrameOut gatherHalves(float[] v, int[] keys, int n, int base) {
    ensure(n * 2);
    byte[] b = buf;
    int at = size;
    for (int i = 1; i <= n; i++) {
      SHORT.set(b, at, Half.fromFloat(v[keys[i] - base]));
      at += 2;
    }
    size = at;
    return this;
  }

  /** The elements {@code v[base + keys[i]]} for i in 1..n: a pull's gather, one bounds check for all. */
  public FrameOut gather(float[] v, int[] keys, int n, int base) {
    ensure(n * 4);
    byte[] b = buf;
    int at = size;
    for (int i = 1; i <= n; i++) {
      FLOAT.set(b, at, v[keys[i] - base]);
      at += 4;
    }
    size = at;
    return this;
  }

  /**
   * The key set {@code keys[from, to)}, which the caller has checked is strictly ascending: a varint count, the first
   * key, then each gap minus one (see {@link Wire}).
   */
  public FrameOut keys(int[] keys, int from, int to) {
    varint(to - from);
    ensure(5 * (to - from));
    byte[] b = buf;
    int at = size;
    int previous = -1;
    for (int i = from; i < to; i++) {
      int v = keys[i] - previous - 1;
      previous = keys[i];
      while ((v & ~0x7F) != 0) {
        b[at++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      b[at++] = (byte) v;
    }
    size = at;
    return this;
  }

  /**
   * A model's spec, as CREATE_MODEL and a snapshot carry it: {@code rows:i32 cols:i32 optimizer:u8 learningRate:f32
   * l2:f32 momentum:f32 initScale:f32 l1:f32}, the optimizer byte's top bit {@link ModelSpec#l2AllRows} (clear in
   * what was written before it, whose penalty was the touched rows'), the next one set when the model is not
   * {@link ModelSpec#snapshotted} (clear before that existed); {@link FrameIn#spec} reads it.
   */
  public FrameOut spec(ModelSpec spec) {
    int optimizer = spec.optimizer().ordinal() | (spec.l2AllRows() ? Wire.SPEC_L2_ALL_ROWS : 0)
        | (spec.snapshotted() ? 0 : Wire.SPEC_NOT_SNAPSHOTTED);
    return i32(spec.rows()).i32(spec.cols()).u8(optimizer).f32(spec.learningRate()).f32(spec.l2())
        .f32(spec.momentum()).f32(spec.initScale()).f32(spec.l1());
  }

  /** Per-worker push counts, {@code n:i32 (worker:i32 updates:i64)*n}; {@link FrameIn#updateCounts} reads them. */
  public FrameOut updateCounts(Map<Integer, Long> counts) {
    i32(counts.size());
    counts.forEach((worker, updates) -> i32(worker).i64(updates));
    return this;
  }

  /** A METRICS reply's body; {@link FrameIn#metrics} reads it. */
  public FrameOut metrics(ShardMetrics m) {
    return i32(m.shard()).i64(Double.doubleToLongBits(m.updatesPerSecond())).i64(m.updates()).i64(m.keysUpdated())
        .i64(m.requests()).i64(m.bytesIn()).i64(m.bytesOut()).i32(m.connections()).i32(m.queueDepth())
        .i32(m.models()).i64(m.updatesHeld()).i64(m.restoredSnapshotMillis()).i64(m.loopCpuNanos()).i32(m.loopCores());
  }

  /** A count then the floats. */
  public FrameOut floatArray(float[] v) {
    return i32(v.length).floats(v, 0, v.length);
  }

  public FrameOut bytes(byte[] v) {
    i32(v.length);
    ensure(v.length);
    System.arraycopy(v, 0, buf, size, v.length);
    size += v.length;
    return this;
  }

  /** Bytes as they are, without a count: a body encoded before into another FrameOut. */
  public FrameOut raw(byte[] v) {
    ensure(v.length);
    System.arraycopy(v, 0, buf, size, v.length);
    size += v.length;
    return this;
  }

  public FrameOut str(String s) {
    return bytes(s.getBytes(StandardCharsets.UTF_8));
  }

  public byte[] toByteArray() {
    return java.util.Arrays.copyOf(buf, size);
  }

  public void writeTo(OutputStream out) throws IOException {
    out.write(buf, 0, size);
  }

  public void writeTo(ByteBuf out) {
    out.writeBytes(buf, 0, size);
  }

  /** Empties the buffer, giving back arrays grown past {@link FrameReader#KEEP_BYTES} for a large frame. */
  public void clearAndRelease() {
    clear();
    if (buf.length > FrameReader.KEEP_BYTES) {
      buf = new byte[INITIAL_BYTES];
    }
    if (scratch.length > FrameReader.KEEP_BYTES) {
      scratch = new byte[0];
    }
  }
}
