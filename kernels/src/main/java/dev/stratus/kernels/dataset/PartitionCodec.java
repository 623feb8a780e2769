package dev.stratus.kernels.dataset;

import dev.stratus.kernels.data.SparseRow;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * The binary layout of one partition object; it sits on the training hot path, so it is hand-written.
 *
 * <pre>
 * header (16 bytes, little-endian): magic "SRP1", row count, body length before compression, format version
 * body, LZ4 block-compressed, per row: label (float32), nnz (varint), first index then gaps (varints), values (float32)
 * </pre>
 *
 * Gap coding keeps the indices of a row in one or two bytes each; LZ4 then removes most of the repetition in labels
 * and one-hot values (1.0f) at several hundred MB/s.
 */
public final class PartitionCodec {
  public static final int FORMAT_VERSION = 1;
  private static final int MAGIC = 0x31505253; // "SRP1" read as a little-endian int
  private static final int HEADER_BYTES = 16;
  private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();

  private PartitionCodec() {}

  /** Encodes {@code rows} as one partition object. */
  public static byte[] encode(List<SparseRow> rows) {
    Encoder encoder = new Encoder();
    for (SparseRow row : rows) {
      encoder.add(row);
    }
    return encoder.finish();
  }

  /** Decodes a whole partition; {@code name} only serves error messages. */
  public static SparseRow[] decode(byte[] object, String name) {
    Reader reader = new Reader(object, name);
    SparseRow[] rows = new SparseRow[reader.rowCount()];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = reader.next();
    }
    return rows;
  }

  /**
   * Accumulates rows into an uncompressed body and compresses it on {@link #finish}; reusable after {@link #reset}.
   */
  public static final class Encoder {
    private byte[] body = new byte[1 << 16];
    private int length;
    private int rows;

    public void add(SparseRow row) {
      int[] indices = row.indices();
      float[] values = row.values();
      // worst case: label, nnz and 5 bytes per index, 4 per value
      ensure(4 + 5 + indices.length * 9);
      byte[] b = body;
      int p = length;
      INT_LE.set(b, p, Float.floatToRawIntBits(row.label()));
      p = putVarint(b, p + 4, indices.length);
      int previous = 0;
      for (int index : indices) {
        p = putVarint(b, p, index - previous);
        previous = index;
      }
      for (float v : values) {
        INT_LE.set(b, p, Float.floatToRawIntBits(v));
        p += 4;
      }
      length = p;
      rows++;
    }

    public int rowCount() {
      return rows;
    }

    /** The partition object: header plus compressed body. */
    public byte[] finish() {
      LZ4Compressor compressor = LZ4.fastCompressor();
      byte[] out = new byte[HEADER_BYTES + compressor.maxCompressedLength(length)];
      INT_LE.set(out, 0, MAGIC);
      INT_LE.set(out, 4, rows);
      INT_LE.set(out, 8, length);
      INT_LE.set(out, 12, FORMAT_VERSION);
      int compressed = compressor.compress(body, 0, length, out, HEADER_BYTES, out.length - HEADER_BYTES);
      return Arrays.copyOf(out, HEADER_BYTES + compressed);
    }

    public void reset() {
      length = 0;
      rows = 0;
    }

    private void ensure(int extra) {
      if (length + extra > body.length) {
        long wanted = Math.max((long) body.length * 2, (long) length + extra);
        if (wanted > Integer.MAX_VALUE - 64) {
          throw new IllegalStateException("partition body above 2 GB: lower the rows per partition");
        }
        body = Arrays.copyOf(body, (int) wanted);
      }
    }

    private static int putVarint(byte[] b, int p, int v) {
      while ((v & ~0x7F) != 0) {
        b[p++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      b[p++] = (byte) v;
      return p;
    }
  }

  /** Streams the rows of one partition object, decompressing it once; a corrupt body fails naming the partition. */
  public static final class Reader implements Iterator<SparseRow> {
    private final String name;
    private final byte[] body;
    private final int rowCount;
    private int position;
    private int returned;

    public Reader(byte[] object, String name) {
      this.name = name;
      if (object.length < HEADER_BYTES || (int) INT_LE.get(object, 0) != MAGIC) {
        throw corrupt("not a partition object (bad header)");
      }
      int version = (int) INT_LE.get(object, 12);
      if (version != FORMAT_VERSION) {
        throw corrupt("partition format version " + version + ", this reader knows " + FORMAT_VERSION);
      }
      rowCount = (int) INT_LE.get(object, 4);
      int rawLength = (int) INT_LE.get(object, 8);
      if (rowCount < 0 || rawLength < 0) {
        throw corrupt("negative row count or length in the header");
      }
      body = new byte[rawLength];
      LZ4SafeDecompressor decompressor = LZ4.safeDecompressor();
      try {
        int n = decompressor.decompress(object, HEADER_BYTES, object.length - HEADER_BYTES, body, 0, rawLength);
        if (n != rawLength) {
          throw corrupt("body is " + n + " bytes, header says " + rawLength);
        }
      } catch (LZ4Exception e) {
        throw corrupt("compressed body is damaged (" + e.getMessage() + ")");
      }
    }

    public int rowCount() {
      return rowCount;
    }

    @Override
    public boolean hasNext() {
      return returned < rowCount;
    }

    @Override
    public SparseRow next() {
      if (returned >= rowCount) {
        throw new NoSuchElementException();
      }
      byte[] b = body;
      try {
        int p = position;
        float label = Float.intBitsToFloat((int) INT_LE.get(b, p));
        p += 4;
        // inline varint decoding: this loop is what a training worker spends its input time in
        int nnz = 0;
        for (int shift = 0; ; shift += 7) {
          byte x = b[p++];
          nnz |= (x & 0x7F) << shift;
          if (x >= 0) {
            break;
          }
        }
        if (nnz < 0 || nnz > (b.length - p)) {
          throw corrupt("row " + returned + " claims " + nnz + " features");
        }
        int[] indices = new int[nnz];
        int index = 0;
        for (int i = 0; i < nnz; i++) {
          int gap = 0;
          for (int shift = 0; ; shift += 7) {
            byte x = b[p++];
            gap |= (x & 0x7F) << shift;
            if (x >= 0) {
              break;
            }
          }
          index += gap;
          indices[i] = index;
        }
        float[] values = new float[nnz];
        for (int i = 0; i < nnz; i++) {
          values[i] = Float.intBitsToFloat((int) INT_LE.get(b, p));
          p += 4;
        }
        position = p;
        returned++;
        return new SparseRow(label, indices, values);
      } catch (IndexOutOfBoundsException e) {
        throw corrupt("row " + returned + " runs past the end of the body");
      }
    }

    private DatasetException corrupt(String why) {
      return new DatasetException("partition " + name + " is corrupt: " + why);
    }
  }
}
