package dev.stratus.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stratus.jobs.search.ExperimentResult;
import dev.stratus.jobs.search.SearchRecords;
import dev.stratus.jvm.ChildJvm;
import dev.stratus.jvm.ChildProcess;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.dataset.DatasetWriter;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A search's driver, a JVM of its own, is killed after at least one experiment finished; the same search run again
 * under its id does not run the finished experiments again, runs the rest, and ranks all of them.
 */
@Timeout(600)
class SearchResumeTest {
  private static final String ROOT = "s3://tests/resume";
  private static final String SEARCH_ID = "resume-test";
  private static final S3Path PREFIX = S3Path.parse(ROOT + "/models/" + SEARCH_ID + "/");
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aKilledSearchResumesWithoutRerunningItsFinishedExperiments() throws Exception {
    ObjectStore store = DataTesting.store();
    PlantedData data = new PlantedData(500, 20_000, 2_000, 7);
    DatasetManifest template = DatasetManifest.template(500, List.of(), "planted", null);
    store.ensureBucket("tests");
    DatasetWriter.write(store, S3Path.parse(ROOT + "/train"), data.train, template, 5_000);
    DatasetWriter.write(store, S3Path.parse(ROOT + "/validation"), data.test, template, 5_000);

    // First driver: killed once an experiment's result is recorded.
    Map<Integer, ExperimentResult> recorded = new HashMap<>();
    Set<Integer> startedBeforeKill = new HashSet<>();
    SearchRecords records = new SearchRecords(store, PREFIX, SEARCH_ID);
    try (ChildProcess first = startDriver("first")) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
      // Killed while an experiment runs after one finished: the resumed search restarts that one.
      while (records.committed().isEmpty() || records.started().size() == records.committed().size()) {
        assertTrue(first.isAlive(), "the first driver ended before any experiment finished:\n" + output("first"));
        assertTrue(System.nanoTime() < deadline, "no experiment finished within 300 s:\n" + output("first"));
        Thread.sleep(50);
      }
      first.kill();
      assertFalse(first.isAlive(), "the killed driver did not end");
    }
    for (int id : records.committed()) {
      recorded.put(id, JSON.readValue(store.get(records.finishedPath(id)), ExperimentResult.class));
    }
    startedBeforeKill.addAll(records.started());
    int total = SearchResumeDriver.LEARNING_RATES.length;
    assertTrue(recorded.size() < total && startedBeforeKill.size() > recorded.size(),
        "no experiment was running at the kill; the test proves nothing:\n" + output("first"));
    assertFalse(store.exists(PREFIX.resolve("search-result.json")), "the killed search wrote no result");

    // Second driver, same id: runs to the end.
    try (ChildProcess second = startDriver("second")) {
      assertTrue(second.waitFor(Duration.ofSeconds(300)),
          "the resumed search did not end within 300 s:\n" + output("second"));
      assertEquals(0, second.exitCode(), "the resumed driver failed:\n" + output("second"));
    }
    String resumedOutput = output("second");
    JsonNode result = JSON.readTree(store.get(PREFIX.resolve("search-result.json")));
    JsonNode experiments = result.get("experiments");
    assertEquals(total, experiments.size(), "the result ranks every experiment:\n" + resumedOutput);
    double previous = Double.NEGATIVE_INFINITY;
    Set<Integer> ids = new HashSet<>();
    for (JsonNode experiment : experiments) {
      int id = experiment.get("id").asInt();
      ids.add(id);
      double best = experiment.get("bestValidationLoss").asDouble();
      assertTrue(best >= previous, "ranked by best validation loss:\n" + result.toPrettyString());
      previous = best;
      String startedLine = "experiment " + id + " (learningRate=";
      ExperimentResult earlier = recorded.get(id);
      if (earlier != null) {
        assertEquals(ExperimentResult.RECORDED, experiment.path("resumed").asText(null));
        assertEquals(earlier.updates(), experiment.get("updates").asLong(), "the recorded updates, not new ones");
        assertEquals(earlier.curve().size(), experiment.get("curve").size());
        for (int i = 0; i < earlier.curve().size(); i++) {
          assertEquals(earlier.curve().get(i).validationLoss(),
              experiment.get("curve").get(i).get("validationLoss").asDouble(), "curve point " + i);
          assertEquals(earlier.curve().get(i).seconds(), experiment.get("curve").get(i).get("seconds").asDouble());
        }
        assertTrue(lines(resumedOutput, startedLine).stream().noneMatch(line -> line.contains(": running")),
            "experiment " + id + " was not started again:\n" + resumedOutput);
        assertTrue(lines(resumedOutput, startedLine).stream()
                .anyMatch(line -> line.contains(": " + earlier.state() + " in an earlier run, not run again")),
            "the console shows experiment " + id + " as recorded:\n" + resumedOutput);
      } else {
        String expected = startedBeforeKill.contains(id) ? ExperimentResult.RESTARTED_FROM_SCRATCH : null;
        assertEquals(expected, experiment.path("resumed").asText(null), "experiment " + id);
        assertTrue(experiment.get("updates").asLong() > 0 && experiment.get("curve").size() >= 2,
            "experiment " + id + " trained in the second run:\n" + result.toPrettyString());
        assertTrue(lines(resumedOutput, startedLine).stream()
                .anyMatch(line -> line.contains(expected == null ? ": running  " : ": running, " + expected)),
            "experiment " + id + " started in the second run:\n" + resumedOutput);
      }
    }
    assertEquals(total, ids.size());
    assertEquals(recorded.size(), resumedOutput.lines().filter(line -> line.contains(" (recorded) ")).count(),
        "the ranked table marks the recorded experiments:\n" + resumedOutput);
    System.out.printf("killed after %d of %d experiments finished (%s started); the resumed search:%n%s%n",
        recorded.size(), total, startedBeforeKill, resumedOutput);
  }

  @Test
  void anotherGridUnderTheSameIdIsRefused() {
    ObjectStore store = DataTesting.store();
    store.ensureBucket("tests");
    S3Path prefix = S3Path.parse(ROOT + "/models/refused/");
    store.put(prefix.resolve("search.json"),
        ("{\"searchId\":\"refused\",\"train\":\"" + ROOT + "/train/\",\"experiments\":"
            + "[{\"id\":0,\"parameters\":{\"learningRate\":0.5}}]}").getBytes());
    Pipeline p = DataTesting.pipeline();
    PlantedData data = new PlantedData(50, 200, 100, 3);
    DatasetManifest template = DatasetManifest.template(50, List.of(), "planted", null);
    DatasetWriter.write(store, S3Path.parse(ROOT + "/small-train"), data.train, template, 100);
    DatasetWriter.write(store, S3Path.parse(ROOT + "/small-validation"), data.test, template, 100);
    p.apply("Train", ReadDataset.from(ROOT + "/small-train"))
        .apply(GridSearch.of(LogisticRegression.withValidationSet(
                p.apply("Validation", ReadDataset.from(ROOT + "/small-validation"))))
            .vary("learningRate", 0.1, 0.2)
            .searchId("refused")
            .modelsTo(ROOT + "/models/"));
    String message = DataTesting.failureOf(p);
    assertTrue(message.contains("search refused was started at " + prefix + " with other experiments or training"
        + " data") && message.contains("[learningRate=0.5]") && message.contains("[learningRate=0.1, learningRate=0.2]")
        && message.contains("give this search another searchId"), message);
    assertNull(store.list(prefix.resolve("started/")).stream().findAny().orElse(null), "no experiment started");
  }

  private static ChildProcess startDriver(String name) throws Exception {
    return ChildJvm.mainClass(SearchResumeDriver.class)
        .jvmOptions("-Xmx512m")
        .arguments(DataTesting.DIR.resolve("store").toString(), ROOT, SEARCH_ID)
        .name("the " + name + " driver")
        .output(ChildProcess.Output.toFile(DataTesting.DIR.resolve("driver-" + name + ".log")))
        .start();
  }

  private static String output(String name) {
    try {
      return Files.readString(DataTesting.DIR.resolve("driver-" + name + ".log"));
    } catch (java.io.IOException e) {
      return "(no output: " + e.getMessage() + ")";
    }
  }

  private static List<String> lines(String output, String prefix) {
    return output.lines().filter(line -> line.startsWith(prefix)).toList();
  }
}
