package dev.stratus.benchmarks.ps;

import java.nio.ByteBuffer;
import java.util.Locale;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import org.roaringbitmap.RoaringBitmap;

/**
 * What a sparse update costs on the wire under each key-set encoding, with and without LZ4 over the whole body
 * (keys + one float per key), and how long each key encoding takes to encode and decode: the measurement behind
 * the wire's choice of delta varints.
 */
final class KeyEncodings {
  private KeyEncodings() {}

  /** Bytes of a key set as the wire sends it: a varint count, the first key, then each gap minus one. */
  static int deltaVarintBytes(int[] keys) {
    int bytes = varintBytes(keys.length);
    for (int i = 0; i < keys.length; i++) {
      bytes += varintBytes(i == 0 ? keys[0] : keys[i] - keys[i - 1] - 1);
    }
    return bytes;
  }

  private static int varintBytes(int v) {
    int bytes = 1;
    while ((v & ~0x7F) != 0) {
      v >>>= 7;
      bytes++;
    }
    return bytes;
  }

  private static int encodeDeltaVarint(int[] keys, byte[] out) {
    int at = 0;
    int previous = -1;
    at = putVarint(out, at, keys.length);
    for (int key : keys) {
      at = putVarint(out, at, key - previous - 1);
      previous = key;
    }
    return at;
  }

  private static int putVarint(byte[] out, int at, int v) {
    while ((v & ~0x7F) != 0) {
      out[at++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out[at++] = (byte) v;
    return at;
  }

  private static int decodeDeltaVarint(byte[] in, int[] keys) {
    int at = 0;
    int[] cursor = {0};
    int n = getVarint(in, cursor);
    int key = -1;
    for (int i = 0; i < n; i++) {
      key += getVarint(in, cursor) + 1;
      keys[at++] = key;
    }
    return n;
  }

  private static int getVarint(byte[] in, int[] cursor) {
    int result = 0;
    for (int shift = 0; ; shift += 7) {
      byte b = in[cursor[0]++];
      result |= (b & 0x7F) << shift;
      if (b >= 0) {
        return result;
      }
    }
  }

  static void report(CriteoTraffic traffic) {
    LZ4Compressor lz4 = LZ4Factory.fastestInstance().fastCompressor();
    int batches = traffic.keys.length;
    long keys = 0;
    long[] keyBytes = new long[3]; // raw int32, delta varint, roaring
    long[] bodyBytes = new long[3];
    long[] lz4Bytes = new long[3];
    byte[] scratch = new byte[1 << 16];
    byte[] compressed = new byte[lz4.maxCompressedLength(1 << 16)];
    for (int b = 0; b < batches; b++) {
      int[] k = traffic.keys[b];
      keys += k.length;
      byte[][] encoded = {raw(k), varint(k), roaring(k)};
      for (int e = 0; e < 3; e++) {
        int body = encoded[e].length + 4 * k.length;
        ByteBuffer.wrap(scratch).put(encoded[e]).put(raw(traffic.gradients[b]));
        keyBytes[e] += encoded[e].length;
        bodyBytes[e] += body;
        lz4Bytes[e] += lz4.compress(scratch, 0, body, compressed, 0, compressed.length);
      }
    }
    double[] encodeNanos = {Double.MAX_VALUE, Double.MAX_VALUE};
    double[] decodeNanos = {Double.MAX_VALUE, Double.MAX_VALUE};
    int[] decoded = new int[1 << 14];
    // The best of several rounds: the first ones warm the JIT up, and the machine may be busy with others' work.
    for (int round = 0; round < 9; round++) {
      long t0 = System.nanoTime();
      int sink = 0;
      for (int[] k : traffic.keys) {
        sink += encodeDeltaVarint(k, scratch);
      }
      long t1 = System.nanoTime();
      for (int[] k : traffic.keys) {
        RoaringBitmap bitmap = RoaringBitmap.bitmapOf(k);
        bitmap.runOptimize();
        ByteBuffer out = ByteBuffer.wrap(scratch);
        bitmap.serialize(out);
        sink += out.position();
      }
      long t2 = System.nanoTime();
      byte[][] varints = new byte[batches][];
      byte[][] bitmaps = new byte[batches][];
      for (int b = 0; b < batches; b++) {
        varints[b] = varint(traffic.keys[b]);
        bitmaps[b] = roaring(traffic.keys[b]);
      }
      long t3 = System.nanoTime();
      for (byte[] v : varints) {
        sink += decodeDeltaVarint(v, decoded);
      }
      long t4 = System.nanoTime();
      for (byte[] r : bitmaps) {
        RoaringBitmap bitmap = new RoaringBitmap();
        try {
          bitmap.deserialize(ByteBuffer.wrap(r));
        } catch (java.io.IOException e) {
          throw new IllegalStateException(e);
        }
        sink += bitmap.toArray().length;
      }
      long t5 = System.nanoTime();
      if (sink == 42) {
        System.out.print(""); // keeps the loops from being optimized away
      }
      encodeNanos[0] = Math.min(encodeNanos[0], (double) (t1 - t0) / batches);
      encodeNanos[1] = Math.min(encodeNanos[1], (double) (t2 - t1) / batches);
      decodeNanos[0] = Math.min(decodeNanos[0], (double) (t4 - t3) / batches);
      decodeNanos[1] = Math.min(decodeNanos[1], (double) (t5 - t4) / batches);
    }
    String[] names = {"raw int32 keys", "delta varints", "RoaringBitmap"};
    System.out.printf(Locale.ROOT, "Bytes per sparse update (a push body: %.0f keys + one float each), per key set "
        + "encoding:%n", (double) keys / batches);
    System.out.printf(Locale.ROOT, "%-16s %10s %12s %12s %12s %12s%n", "keys as", "key bytes", "bytes/key",
        "body bytes", "body + LZ4", "encode+decode");
    for (int e = 0; e < 3; e++) {
      String time = e == 0 ? "-" : String.format(Locale.ROOT, "%.1f us",
          (encodeNanos[e - 1] + decodeNanos[e - 1]) / 1e3);
      System.out.printf(Locale.ROOT, "%-16s %10.0f %12.2f %12.0f %12.0f %12s%n", names[e],
          (double) keyBytes[e] / batches, (double) keyBytes[e] / keys, (double) bodyBytes[e] / batches,
          (double) lz4Bytes[e] / batches, time);
    }
    System.out.println("(the wire uses delta varints in pulls, a push naming the pull of its keys, and LZ4 only for"
        + " bodies above 16 KiB that it shrinks)\n");
  }

  private static byte[] raw(int[] keys) {
    ByteBuffer out = ByteBuffer.allocate(keys.length * 4);
    out.asIntBuffer().put(keys);
    return out.array();
  }

  private static byte[] raw(float[] values) {
    ByteBuffer out = ByteBuffer.allocate(values.length * 4);
    out.asFloatBuffer().put(values);
    return out.array();
  }

  private static byte[] varint(int[] keys) {
    byte[] out = new byte[5 * keys.length + 5];
    return java.util.Arrays.copyOf(out, encodeDeltaVarint(keys, out));
  }

  private static byte[] roaring(int[] keys) {
    RoaringBitmap bitmap = RoaringBitmap.bitmapOf(keys);
    bitmap.runOptimize();
    ByteBuffer out = ByteBuffer.allocate(bitmap.serializedSizeInBytes());
    bitmap.serialize(out);
    return out.array();
  }
}
