package dev.stratus.jobs.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.jobs.train.CurvePoint;
import dev.stratus.jobs.train.StopReason;
import dev.stratus.store.EmbeddedS3Server;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A search's records in a real (embedded) store: what a later run with the same id reads back, and what it refuses. */
class SearchRecordsTest {
  @TempDir Path dir;

  private static List<Experiment> grid(double... rates) {
    return java.util.stream.IntStream.range(0, rates.length)
        .mapToObj(i -> new Experiment(i, Map.of("learningRate", rates[i]), null))
        .toList();
  }

  @Test
  void aLaterRunReadsBackEveryCommittedResultExactlyAndKnowsWhichStarted() {
    try (EmbeddedS3Server server = EmbeddedS3Server.start(dir)) {
      ObjectStore store = ObjectStore.of(server.spec());
      store.ensureBucket("search");
      S3Path prefix = S3Path.parse("s3://search/models/s-1/");
      SearchRecords first = new SearchRecords(store, prefix, "s-1");
      assertEquals(new SearchRecords.Earlier(Map.of(), Set.of()), first.open(grid(0.1, 0.2, 0.4), "s3://search/train"));
      ExperimentResult converged = new ExperimentResult(0, Map.of("learningRate", 0.1), StopReason.CONVERGED, 0.33,
          0.34, List.of(new CurvePoint(0.5, 0, 0.693, 0.5, Double.NaN), new CurvePoint(1.25, 4_000, 0.33, 0.9, Double.NaN)), 1.3, 4_000, 2,
          0.65, 0.0000108, "s3://search/models/s-1/experiment-0/model.bin", null, null);
      ExperimentResult killedWaiting = new ExperimentResult(2, Map.of("learningRate", 0.4), StopReason.KILLED,
          Double.NaN, Double.NaN, List.of(), 0, 0, 0, 0, 0, null, null, null);
      first.started(0);
      first.started(1);
      first.finished(converged);
      first.finished(killedWaiting);

      SearchRecords.Earlier earlier = new SearchRecords(store, prefix, "s-1")
          .open(grid(0.1, 0.2, 0.4), "s3://search/train");
      assertEquals(Set.of(0, 1), earlier.started());
      assertEquals(converged, earlier.finished().get(0));
      ExperimentResult readBack = earlier.finished().get(2);
      assertTrue(Double.isNaN(readBack.bestValidationLoss()) && readBack.stopReason() == StopReason.KILLED,
          readBack.toString());
      assertEquals(2, earlier.finished().size());

      // A result written without its commit marker (a driver killed between the two PUTs) is not read.
      store.put(first.finishedPath(1), "{\"id\":1,\"parame".getBytes());
      assertEquals(Set.of(0, 2), new SearchRecords(store, prefix, "s-1")
          .open(grid(0.1, 0.2, 0.4), "s3://search/train").finished().keySet());

      IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
          () -> new SearchRecords(store, prefix, "s-1").open(grid(0.1, 0.3), "s3://search/train"));
      assertEquals("search s-1 was started at s3://search/models/s-1/ with other experiments or training data:"
          + " recorded s3://search/train [learningRate=0.1, learningRate=0.2, learningRate=0.4], now s3://search/train"
          + " [learningRate=0.1, learningRate=0.3]; resume it with the same grid, or give this search another searchId",
          refused.getMessage());
    }
  }
}
