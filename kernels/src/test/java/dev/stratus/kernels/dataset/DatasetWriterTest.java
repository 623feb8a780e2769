package dev.stratus.kernels.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dataset format through the embedded store: write, commit, read back, and every way a reader refuses. */
class DatasetWriterTest {
  @TempDir static Path dir;
  static ObjectStore store;

  @BeforeAll
  static void start() {
    store = ObjectStore.of(StoreSpec.embedded(dir));
  }

  static DatasetManifest template() {
    return DatasetManifest.template(1 << 21, List.of("a"), "test rows", null);
  }

  @Test
  void writesPartitionsThenAManifestAndReadsThemBack() throws Exception {
    List<SparseRow> rows = PartitionCodecTest.randomRows(2500, 4);
    S3Path location = S3Path.parse("s3://formats/round-trip");
    Dataset written = DatasetWriter.write(store, location, rows, template(), 1000);
    assertEquals(3, written.manifest().partitions().size());
    assertEquals(List.of(1000L, 1000L, 500L), written.manifest().partitions().stream().map(PartitionInfo::rows).toList());
    assertEquals(2500, written.rowCount());

    Dataset opened = Dataset.open(store, location);
    assertEquals(written, opened);
    assertEquals(rows, DatasetReader.readAll(store, opened));
    assertEquals(DatasetCoder.of(), CoderRegistry.createDefault().getCoder(Dataset.class));
    assertEquals(opened, CoderUtils.clone(DatasetCoder.of(), opened));
    String json = new String(store.get(location.resolve("manifest.json")), StandardCharsets.UTF_8);
    for (String field : List.of("formatVersion", "featureCount", "rowCount", "partitions", "crc32c", "source")) {
      assertTrue(json.contains("\"" + field + "\""), json);
    }
  }

  @Test
  void streamsRowsPartitionByPartition() {
    List<SparseRow> rows = PartitionCodecTest.randomRows(300, 5);
    Dataset d = DatasetWriter.write(store, S3Path.parse("s3://formats/stream"), rows, template(), 100);
    Iterator<SparseRow> it = DatasetReader.rows(store, d);
    List<SparseRow> read = new ArrayList<>();
    it.forEachRemaining(read::add);
    assertEquals(rows, read);
  }

  @Test
  void aLocationWithoutManifestIsNoDataset() {
    S3Path location = S3Path.parse("s3://formats/half-written");
    DatasetWriter.begin(store, location);
    PartitionSink sink = DatasetWriter.sink(store, location, 10);
    PartitionCodecTest.randomRows(25, 6).forEach(sink::add);
    sink.finish(); // partitions exist, no manifest
    DatasetException e = assertThrows(DatasetException.class, () -> Dataset.open(store, location));
    assertTrue(e.getMessage().contains("no dataset at s3://formats/half-written"), e.getMessage());
    assertTrue(e.getMessage().contains("manifest.json"), e.getMessage());
  }

  @Test
  void aChangedPartitionIsRefusedNamingIt() {
    S3Path location = S3Path.parse("s3://formats/tampered");
    Dataset d = DatasetWriter.write(store, location, PartitionCodecTest.randomRows(50, 7), template(), 20);
    PartitionInfo second = d.manifest().partitions().get(1);
    byte[] object = store.get(location.resolve(second.name()));
    object[object.length - 1] ^= 1;
    store.put(location.resolve(second.name()), object);
    DatasetException e = assertThrows(DatasetException.class, () -> DatasetReader.readAll(store, d));
    assertTrue(e.getMessage().contains("checksum mismatch") && e.getMessage().contains(second.name()), e.getMessage());
  }

  @Test
  void aRewriteRemovesTheEarlierWritesObjectsAndAFailedOneLeavesNothingVisible() {
    S3Path location = S3Path.parse("s3://formats/rewritten");
    DatasetWriter.write(store, location, PartitionCodecTest.randomRows(40, 8), template(), 10);
    // a failed write: begin (old manifest gone), some partitions, no commit
    DatasetWriter.begin(store, location);
    PartitionSink failed = DatasetWriter.sink(store, location, 10);
    PartitionCodecTest.randomRows(15, 9).forEach(failed::add);
    failed.finish();
    assertThrows(DatasetException.class, () -> Dataset.open(store, location));
    assertFalse(store.exists(location.resolve("manifest.json")));

    List<SparseRow> rows = PartitionCodecTest.randomRows(30, 10);
    Dataset d = DatasetWriter.write(store, location, rows, template(), 10);
    List<String> objects = new ArrayList<>();
    store.list(new S3Path("formats", location.prefix())).forEach(o -> objects.add(o.path().key()));
    assertEquals(d.manifest().partitions().size() + 1, objects.size(), objects.toString());
    assertEquals(rows, DatasetReader.readAll(store, Dataset.open(store, location)));
  }

  @Test
  void statisticsObjectsRoundTripAndAreChecked() {
    S3Path location = S3Path.parse("s3://formats/with-statistics");
    FeatureStatistics.Builder b = FeatureStatistics.builder();
    PartitionCodecTest.randomRows(100, 11).forEach(b::add);
    FeatureStatistics statistics = b.build();
    DatasetWriter.begin(store, location);
    StatisticsRef ref = DatasetWriter.writeStatistics(store, location, statistics);
    assertEquals(statistics, DatasetReader.statistics(store, location, ref));
    StatisticsRef wrong = new StatisticsRef(ref.name(), ref.bytes(), "00000000", ref.features(), ref.rows());
    DatasetException e =
        assertThrows(DatasetException.class, () -> DatasetReader.statistics(store, location, wrong));
    assertTrue(e.getMessage().contains(ref.name()), e.getMessage());
    assertNotNull(ref.crc32c());
  }
}
