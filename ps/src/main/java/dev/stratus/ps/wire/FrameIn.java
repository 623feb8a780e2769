package dev.stratus.ps.wire;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.ShardMetrics;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * A bounds-checked little-endian reader over one frame body held in a reusable array. Every read that would run
 * past the body throws {@link MalformedFrameException}, so garbage from the network can never index out of bounds
 * or make us allocate more than the frame itself.
 */
public final class FrameIn {
  private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle SHORT =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle FLOAT =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

  private byte[] buf;
  private int pos;
  private int limit;

  public void reset(byte[] buf, int offset, int length) {
    this.buf = buf;
    this.pos = offset;
    this.limit = offset + length;
  }

  public int remaining() {
    return limit - pos;
  }

  private void need(int n) throws MalformedFrameException {
    if (n < 0 || limit - pos < n) {
      throw new MalformedFrameException("frame body ends early: needs " + n + " more bytes, has " + (limit - pos));
    }
  }

  public byte u8() throws MalformedFrameException {
    need(1);
    return buf[pos++];
  }

  public int i32() throws MalformedFrameException {
    need(4);
    int v = (int) INT.get(buf, pos);
    pos += 4;
    return v;
  }

  public long i64() throws MalformedFrameException {
    need(8);
    long v = (long) LONG.get(buf, pos);
    pos += 8;
    return v;
  }

  public float f32() throws MalformedFrameException {
    need(4);
    float v = (float) FLOAT.get(buf, pos);
    pos += 4;
    return v;
  }

  /** A count that must be non-negative and small enough for {@code bytesEach} bytes per element to still fit. */
  public int count(int bytesEach) throws MalformedFrameException {
    int n = i32();
    if (n < 0 || (long) n * bytesEach > remaining()) {
      throw new MalformedFrameException("count " + n + " does not fit in the " + remaining() + " bytes left");
    }
    return n;
  }

  /** An unsigned LEB128 varint of at most 32 bits. */
  private int varint() throws MalformedFrameException {
    int result = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      need(1);
      byte b = buf[pos++];
      result |= (b & 0x7F) << shift;
      if (b >= 0) {
        return result;
      }
    }
    throw new MalformedFrameException("varint longer than 5 bytes");
  }

  /**
   * Reads a key set (see {@link Wire}) into {@code scratch}, or into a bigger array when it is too small: the array
   * returned holds the count n at index 0 and the keys at 1..n, so a connection decodes every frame without
   * allocating. Keys come out strictly ascending and non-negative by construction; a set running past
   * {@code Integer.MAX_VALUE} is malformed.
   */
  public int[] keys(int[] scratch) throws MalformedFrameException {
    int n = varint();
    if (n < 0 || n > remaining()) { // every key takes at least one byte
      throw new MalformedFrameException("key count " + n + " exceeds the " + remaining() + " bytes left");
    }
    int[] keys = scratch.length >= n + 1 ? scratch : new int[Math.max(n + 1, scratch.length * 2)];
    keys[0] = n;
    deltaVarints(keys, n);
    return keys;
  }

  /** Reads {@code n} gaps into {@code keys[1..n]}; a varint running past the body or past 5 bytes is malformed. */
  private void deltaVarints(int[] keys, int n) throws MalformedFrameException {
    byte[] b = buf;
    int at = pos;
    int end = limit;
    long key = -1;
    for (int i = 1; i <= n; i++) {
      int gap;
      if (end - at >= 5) { // a whole varint is surely here: no per-byte end checks
        int x = b[at++];
        if (x >= 0) {
          gap = x;
        } else {
          gap = x & 0x7F;
          x = b[at++];
          if (x >= 0) {
            gap |= x << 7;
          } else {
            gap |= (x & 0x7F) << 7;
            x = b[at++];
            if (x >= 0) {
              gap |= x << 14;
            } else {
              gap |= (x & 0x7F) << 14;
              x = b[at++];
              if (x >= 0) {
                gap |= x << 21;
              } else {
                gap |= (x & 0x7F) << 21;
                x = b[at++];
                if (x < 0) {
                  throw new MalformedFrameException("varint longer than 5 bytes");
                }
                gap |= x << 28;
              }
            }
          }
        }
      } else {
        pos = at;
        gap = varint();
        at = pos;
      }
      key += (gap & 0xFFFFFFFFL) + 1;
      if (key > Integer.MAX_VALUE) {
        throw new MalformedFrameException("key set runs past 2^31");
      }
      keys[i] = (int) key;
    }
    pos = at;
  }

  /** The array being read, for a caller that reads a span it has bounds-checked with {@link #remaining}. */
  public byte[] array() {
    return buf;
  }

  public int position() {
    return pos;
  }

  public void skip(int bytes) throws MalformedFrameException {
    need(bytes);
    pos += bytes;
  }

  public void floats(float[] dst, int offset, int n) throws MalformedFrameException {
    need(n * 4);
    byte[] b = buf;
    int at = pos;
    for (int i = 0; i < n; i++) {
      dst[offset + i] = (float) FLOAT.get(b, at);
      at += 4;
    }
    pos = at;
  }

  /** {@code n} {@link Half}s into floats. */
  public void halves(float[] dst, int offset, int n) throws MalformedFrameException {
    need(n * 2);
    byte[] b = buf;
    int at = pos;
    for (int i = 0; i < n; i++) {
      dst[offset + i] = Half.toFloat((short) SHORT.get(b, at));
      at += 2;
    }
    pos = at;
  }

  /** {@code n} {@link Half}s widened into {@code dst} as the little-endian floats a float32 body would hold. */
  public void halvesAsFloatBytes(byte[] dst, int n) throws MalformedFrameException {
    need(n * 2);
    byte[] b = buf;
    int at = pos;
    for (int i = 0; i < n; i++) {
      FLOAT.set(dst, 4 * i, Half.toFloat((short) SHORT.get(b, at)));
      at += 2;
    }
    pos = at;
  }

  public float[] floats() throws MalformedFrameException {
    float[] v = new float[count(4)];
    floats(v, 0, v.length);
    return v;
  }

  public byte[] bytes() throws MalformedFrameException {
    int n = count(1);
    byte[] v = new byte[n];
    System.arraycopy(buf, pos, v, 0, n);
    pos += n;
    return v;
  }

  public String str() throws MalformedFrameException {
    int n = count(1);
    String s = new String(buf, pos, n, StandardCharsets.UTF_8);
    pos += n;
    return s;
  }

  /** A spec that {@link FrameOut#spec} wrote; one the constructor refuses is a bad request, not a broken frame. */
  public ModelSpec spec() throws MalformedFrameException {
    return specWithoutL1().l1(f32());
  }

  /** A spec in the layout from before L1, {@link FrameOut#spec}'s without its last field: what snapshots of format 3 hold. */
  public ModelSpec specWithoutL1() throws MalformedFrameException {
    return specWithoutInitScale().initScale(f32());
  }

  /**
   * A spec in the layout from before initScale, {@link FrameOut#spec}'s without its last field, read as initScale 0:
   * what snapshots of format 2 hold.
   */
  public ModelSpec specWithoutInitScale() throws MalformedFrameException {
    int rows = i32();
    int cols = i32();
    int flags = u8() & 0xFF;
    int optimizer = flags & ~(Wire.SPEC_L2_ALL_ROWS | Wire.SPEC_NOT_SNAPSHOTTED);
    float learningRate = f32();
    float l2 = f32();
    float momentum = f32();
    if (optimizer >= Optimizer.values().length) {
      throw new IllegalArgumentException("unknown optimizer " + optimizer);
    }
    return new ModelSpec(rows, cols, Optimizer.values()[optimizer], learningRate, l2, momentum, 0f,
        (flags & Wire.SPEC_L2_ALL_ROWS) != 0, 0f, (flags & Wire.SPEC_NOT_SNAPSHOTTED) == 0);
  }

  /** The per-worker push counts that {@link FrameOut#updateCounts} wrote, by worker id. */
  public Map<Integer, Long> updateCounts() throws MalformedFrameException {
    int n = count(12);
    Map<Integer, Long> counts = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      counts.put(i32(), i64());
    }
    return counts;
  }

  /** The metrics that {@link FrameOut#metrics} wrote. */
  public ShardMetrics metrics() throws MalformedFrameException {
    return new ShardMetrics(
        i32(), Double.longBitsToDouble(i64()), i64(), i64(), i64(), i64(), i64(), i32(), i32(), i32(), i64(), i64(),
        i64(), i32());
  }

  public void expectEnd() throws MalformedFrameException {
    if (pos != limit) {
      throw new MalformedFrameException((limit - pos) + " unexpected bytes after the frame body");
    }
  }
}
