package dev.stratus.kernels.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PartitionCodecTest {
  static List<SparseRow> randomRows(int n, long seed) {
    Random random = new Random(seed);
    List<SparseRow> rows = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      int nnz = random.nextInt(50);
      int[] indices = new int[nnz];
      float[] values = new float[nnz];
      int index = -1;
      for (int i = 0; i < nnz; i++) {
        index += 1 + random.nextInt(random.nextBoolean() ? 10 : 1 << 20);
        indices[i] = index;
        values[i] = random.nextBoolean() ? 1f : (float) random.nextGaussian();
      }
      rows.add(new SparseRow(random.nextInt(2), indices, values));
    }
    return rows;
  }

  @Test
  void roundTripsRowsIncludingEmptyOnesAndLargeIndices() {
    List<SparseRow> rows = new ArrayList<>(randomRows(2000, 1));
    rows.add(new SparseRow(1, new int[0], new float[0]));
    rows.add(new SparseRow(-2.5f, new int[] {0, Integer.MAX_VALUE - 1}, new float[] {Float.MIN_VALUE, -0f}));
    byte[] object = PartitionCodec.encode(rows);
    assertArrayEquals(rows.toArray(), PartitionCodec.decode(object, "p"));
  }

  @Test
  void streamingReaderYieldsTheSameRowsOneByOne() {
    List<SparseRow> rows = randomRows(500, 2);
    PartitionCodec.Reader reader = new PartitionCodec.Reader(PartitionCodec.encode(rows), "p");
    assertEquals(500, reader.rowCount());
    List<SparseRow> read = new ArrayList<>();
    reader.forEachRemaining(read::add);
    assertEquals(rows, read);
  }

  @Test
  void refusesDamagedObjectsNamingThePartition() {
    byte[] object = PartitionCodec.encode(randomRows(100, 3));
    byte[] truncated = java.util.Arrays.copyOf(object, object.length / 2);
    DatasetException e = assertThrows(DatasetException.class, () -> PartitionCodec.decode(truncated, "part-x.lz4"));
    assertTrue(e.getMessage().contains("part-x.lz4"), e.getMessage());
    DatasetException header = assertThrows(DatasetException.class, () -> PartitionCodec.decode(new byte[20], "p7"));
    assertTrue(header.getMessage().contains("p7") && header.getMessage().contains("header"), header.getMessage());
  }
}
