package dev.stratus.kernels.dataset;

import dev.stratus.kernels.data.SparseRow;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import net.jpountz.lz4.LZ4BlockInputStream;
import net.jpountz.lz4.LZ4BlockOutputStream;
import org.apache.beam.sdk.coders.DefaultCoder;

/**
 * Per-feature statistics of a set of sparse rows, kept only for the features that occur (sorted by index).
 *
 * <p>Values absent from a row are zeros: {@link #maxAbs} and {@link #standardDeviation} count them, so the statistics
 * describe the dense columns without ever materialising them. Two statistics merge exactly (counts and sums add), which
 * is what lets a Beam {@code Combine} compute them partition by partition.
 */
@DefaultCoder(FeatureStatisticsCoder.class)
public final class FeatureStatistics {
  private static final int MAGIC = 0x32545346; // "FST2": compact, see writeTo
  private static final int BULK_MAGIC = 0x31545346; // "FST1": the arrays in bulk, still read
  private static final int CHUNK = 1 << 14; // features per chunk written or read
  /** A gap's varint (5), a count's (10) and four doubles. */
  private static final int MOST_BYTES_A_FEATURE = 5 + 10 + 4 * Double.BYTES;

  private final long rows;
  private final int[] indices;
  private final long[] present;
  private final double[] min;
  private final double[] max;
  private final double[] sum;
  private final double[] sumSquares;

  private FeatureStatistics(
      long rows, int[] indices, long[] present, double[] min, double[] max, double[] sum, double[] sumSquares) {
    this.rows = rows;
    this.indices = indices;
    this.present = present;
    this.min = min;
    this.max = max;
    this.sum = sum;
    this.sumSquares = sumSquares;
  }

  public static FeatureStatistics empty() {
    return new FeatureStatistics(0, new int[0], new long[0], new double[0], new double[0], new double[0], new double[0]);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Rows the statistics were computed over. */
  public long rows() {
    return rows;
  }

  /** How many features occur. */
  public int size() {
    return indices.length;
  }

  /** Feature index of the {@code k}-th feature that occurs (increasing in k). */
  public int index(int k) {
    return indices[k];
  }

  /** Rows in which the {@code k}-th feature is stored. */
  public long present(int k) {
    return present[k];
  }

  /** Smallest value of the {@code k}-th feature, absent values counting as 0 when there are any. */
  public double min(int k) {
    return present[k] < rows ? Math.min(0, min[k]) : min[k];
  }

  /** Largest value of the {@code k}-th feature, absent values counting as 0 when there are any. */
  public double max(int k) {
    return present[k] < rows ? Math.max(0, max[k]) : max[k];
  }

  public double maxAbs(int k) {
    return Math.max(Math.abs(min[k]), Math.abs(max[k]));
  }

  /** Mean over all rows, absent values counting as 0. */
  public double mean(int k) {
    return rows == 0 ? 0 : sum[k] / rows;
  }

  /** Population standard deviation over all rows, absent values counting as 0. */
  public double standardDeviation(int k) {
    if (rows == 0) {
      return 0;
    }
    double mean = sum[k] / rows;
    return Math.sqrt(Math.max(0, sumSquares[k] / rows - mean * mean));
  }

  /** Position of {@code feature} in this statistics' order, or a negative number if it never occurs. */
  public int find(int feature) {
    return Arrays.binarySearch(indices, feature);
  }

  /** The statistics of both sets of rows together. */
  public FeatureStatistics merge(FeatureStatistics other) {
    int n = indices.length;
    int m = other.indices.length;
    int[] idx = new int[n + m];
    long[] cnt = new long[n + m];
    double[] lo = new double[n + m];
    double[] hi = new double[n + m];
    double[] s = new double[n + m];
    double[] sq = new double[n + m];
    int i = 0;
    int j = 0;
    int k = 0;
    while (i < n || j < m) {
      boolean fromThis = j >= m || (i < n && indices[i] <= other.indices[j]);
      boolean fromOther = i >= n || (j < m && other.indices[j] <= indices[i]);
      if (fromThis && fromOther) {
        idx[k] = indices[i];
        cnt[k] = present[i] + other.present[j];
        lo[k] = Math.min(min[i], other.min[j]);
        hi[k] = Math.max(max[i], other.max[j]);
        s[k] = sum[i] + other.sum[j];
        sq[k] = sumSquares[i++] + other.sumSquares[j++];
      } else if (fromThis) {
        idx[k] = indices[i];
        cnt[k] = present[i];
        lo[k] = min[i];
        hi[k] = max[i];
        s[k] = sum[i];
        sq[k] = sumSquares[i++];
      } else {
        idx[k] = other.indices[j];
        cnt[k] = other.present[j];
        lo[k] = other.min[j];
        hi[k] = other.max[j];
        s[k] = other.sum[j];
        sq[k] = other.sumSquares[j++];
      }
      k++;
    }
    return new FeatureStatistics(
        rows + other.rows,
        Arrays.copyOf(idx, k),
        Arrays.copyOf(cnt, k),
        Arrays.copyOf(lo, k),
        Arrays.copyOf(hi, k),
        Arrays.copyOf(s, k),
        Arrays.copyOf(sq, k));
  }

  /** The statistics object's bytes (LZ4-compressed). */
  public byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (LZ4BlockOutputStream out = new LZ4BlockOutputStream(bytes)) {
      writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Reads what {@link #encode} wrote; {@code name} serves error messages. */
  public static FeatureStatistics decode(byte[] object, String name) {
    try (LZ4BlockInputStream in = new LZ4BlockInputStream(new ByteArrayInputStream(object))) {
      return readFrom(in, name);
    } catch (IOException e) {
      throw new DatasetException("statistics object " + name + " is corrupt: " + e.getMessage(), e);
    }
  }

  /**
   * Writes the statistics uncompressed: the layout of {@link #encode} and of the Beam coder. Each feature is its index
   * as a gap from the previous one and its count, then its min, max, sum and sum of squares, unless every value it
   * took was 1 (a one-hot or hashed categorical feature's, most of a Criteo set's), which the count's low bit says.
   * Normalize's statistics pass through the store twice in a {@code Combine}: those of a million Criteo rows in two
   * partitions took 36 MB as the arrays in bulk ("FST1", 44 bytes a feature) and take 1.7 MB so (the
   * {@code statistics-coding} benchmark).
   */
  void writeTo(OutputStream out) throws IOException {
    int n = indices.length;
    out.write(ByteBuffer.allocate(16).putInt(MAGIC).putLong(rows).putInt(n).array());
    ByteBuffer chunk = ByteBuffer.allocate(Math.min(n, CHUNK) * MOST_BYTES_A_FEATURE); // a Combine codes many small ones
    int previous = 0;
    for (int from = 0; from < n; from += CHUNK) {
      int to = Math.min(n, from + CHUNK);
      chunk.clear();
      for (int k = from; k < to; k++) {
        putVarint(chunk, indices[k] - previous);
        previous = indices[k];
        boolean ones = min[k] == 1 && max[k] == 1 && sum[k] == present[k] && sumSquares[k] == present[k];
        putVarint(chunk, present[k] << 1 | (ones ? 1 : 0));
        if (!ones) {
          chunk.putDouble(min[k]).putDouble(max[k]).putDouble(sum[k]).putDouble(sumSquares[k]);
        }
      }
      // each chunk's length first, so that a reader takes exactly its bytes from a stream of Beam elements
      out.write(ByteBuffer.allocate(4).putInt(chunk.position()).array());
      out.write(chunk.array(), 0, chunk.position());
    }
  }

  private static void putVarint(ByteBuffer out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.put((byte) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.put((byte) v);
  }

  private static long getVarint(ByteBuffer in, String name) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = in.get();
      v |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return v;
      }
    }
    throw new DatasetException("statistics object " + name + " is corrupt: a varint runs past 64 bits");
  }

  static FeatureStatistics readFrom(InputStream stream, String name) throws IOException {
    DataInputStream in = new DataInputStream(stream);
    int magic = in.readInt();
    if (magic != MAGIC && magic != BULK_MAGIC) {
      throw new DatasetException("statistics object " + name + " is corrupt: bad header");
    }
    long rows = in.readLong();
    int n = in.readInt();
    if (n < 0) {
      throw new DatasetException("statistics object " + name + " is corrupt: " + n + " features");
    }
    FeatureStatistics s =
        new FeatureStatistics(rows, new int[n], new long[n], new double[n], new double[n], new double[n], new double[n]);
    if (magic == BULK_MAGIC) {
      s.readBulk(in);
      return s;
    }
    byte[] bytes = new byte[Math.min(n, CHUNK) * MOST_BYTES_A_FEATURE];
    int previous = 0;
    try {
      for (int from = 0; from < n; from += CHUNK) {
        int length = in.readInt();
        if (length < 0 || length > bytes.length) {
          throw new DatasetException("statistics object " + name + " is corrupt: a chunk of " + length + " bytes");
        }
        in.readFully(bytes, 0, length);
        ByteBuffer chunk = ByteBuffer.wrap(bytes, 0, length);
        for (int k = from, to = Math.min(n, from + CHUNK); k < to; k++) {
          previous += (int) getVarint(chunk, name);
          s.indices[k] = previous;
          long countAndOnes = getVarint(chunk, name);
          long count = countAndOnes >>> 1;
          s.present[k] = count;
          if ((countAndOnes & 1) != 0) {
            s.min[k] = 1;
            s.max[k] = 1;
            s.sum[k] = count;
            s.sumSquares[k] = count;
          } else {
            s.min[k] = chunk.getDouble();
            s.max[k] = chunk.getDouble();
            s.sum[k] = chunk.getDouble();
            s.sumSquares[k] = chunk.getDouble();
          }
        }
      }
    } catch (BufferUnderflowException e) {
      throw new DatasetException("statistics object " + name + " is corrupt: a chunk ends inside a feature", e);
    }
    return s;
  }

  /** The arrays in bulk, as statistics objects stored before the compact layout ("FST1") hold them. */
  private void readBulk(DataInputStream in) throws IOException {
    int n = indices.length;
    byte[] chunk = new byte[CHUNK * Long.BYTES];
    for (int from = 0; from < n; from += CHUNK) {
      int len = Math.min(CHUNK, n - from);
      in.readFully(chunk, 0, len * Integer.BYTES);
      ByteBuffer.wrap(chunk).asIntBuffer().get(indices, from, len);
      in.readFully(chunk, 0, len * Long.BYTES);
      ByteBuffer.wrap(chunk).asLongBuffer().get(present, from, len);
      for (double[] column : new double[][] {min, max, sum, sumSquares}) {
        in.readFully(chunk, 0, len * Double.BYTES);
        ByteBuffer.wrap(chunk).asDoubleBuffer().get(column, from, len);
      }
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FeatureStatistics f
        && rows == f.rows
        && Arrays.equals(indices, f.indices)
        && Arrays.equals(present, f.present)
        && Arrays.equals(min, f.min)
        && Arrays.equals(max, f.max)
        && Arrays.equals(sum, f.sum)
        && Arrays.equals(sumSquares, f.sumSquares);
  }

  @Override
  public int hashCode() {
    return 31 * Long.hashCode(rows) + Arrays.hashCode(indices);
  }

  @Override
  public String toString() {
    return "FeatureStatistics(" + rows + " rows, " + indices.length + " features)";
  }

  /** Accumulates rows one at a time; features are kept in arrival order and sorted once by {@link #build}. */
  public static final class Builder {
    // one feature's five accumulators side by side (count, min, max, sum, sum of squares): one cache line per value
    private static final int STRIDE = 5;

    private long rows;
    private final FeatureIndexMap positions = new FeatureIndexMap(1 << 12);
    private int[] indices = new int[1 << 12];
    private double[] cells = new double[STRIDE << 12];

    public Builder add(SparseRow row) {
      rows++;
      int[] idx = row.indices();
      float[] vals = row.values();
      for (int i = 0; i < idx.length; i++) {
        int k = positions.getOrAdd(idx[i]);
        double v = vals[i];
        if (k == indices.length) {
          indices = Arrays.copyOf(indices, k * 2);
          cells = Arrays.copyOf(cells, k * 2 * STRIDE);
        }
        int c = k * STRIDE;
        if (cells[c] == 0) {
          indices[k] = idx[i];
          cells[c + 1] = v;
          cells[c + 2] = v;
        } else {
          cells[c + 1] = Math.min(cells[c + 1], v);
          cells[c + 2] = Math.max(cells[c + 2], v);
        }
        cells[c]++;
        cells[c + 3] += v;
        cells[c + 4] += v * v;
      }
      return this;
    }

    public FeatureStatistics build() {
      int n = positions.size();
      // sort positions by feature index: indices are non-negative, so (index, position) packs into one long
      long[] order = new long[n];
      for (int k = 0; k < n; k++) {
        order[k] = ((long) indices[k] << 32) | k;
      }
      Arrays.sort(order);
      FeatureStatistics s =
          new FeatureStatistics(
              rows, new int[n], new long[n], new double[n], new double[n], new double[n], new double[n]);
      for (int k = 0; k < n; k++) {
        int from = (int) order[k];
        int c = from * STRIDE;
        s.indices[k] = indices[from];
        s.present[k] = (long) cells[c];
        s.min[k] = cells[c + 1];
        s.max[k] = cells[c + 2];
        s.sum[k] = cells[c + 3];
        s.sumSquares[k] = cells[c + 4];
      }
      return s;
    }
  }
}
