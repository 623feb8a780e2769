package dev.stratus.jobs.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a search keeps in the store so that a run with the same id can go on after its driver died: the experiments
 * it was started with ({@code search.json}, so another grid under the same id is refused), a marker per experiment
 * that started ({@code started/experiment-<n>}) and each finished experiment's result ({@code
 * finished/experiment-<n>.json}), committed by a marker ({@code committed/experiment-<n>}) written once the result's
 * PUT returned: a driver killed in the middle of a PUT may leave part of an object on a store that does not write
 * objects atomically (the embedded one), and a result without its marker is never read.
 */
public final class SearchRecords {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern MARKER = Pattern.compile("experiment-(\\d{1,9})");

  private final ObjectStore store;
  private final S3Path prefix;
  private final String searchId;

  /** What earlier runs of the search left: the finished experiments' results, and which experiments started. */
  public record Earlier(Map<Integer, ExperimentResult> finished, Set<Integer> started) {}

  /** @param prefix where the search keeps its records (and its models), e.g. {@code s3://models/search-7/} */
  public SearchRecords(ObjectStore store, S3Path prefix, String searchId) {
    this.store = store;
    this.prefix = prefix;
    this.searchId = searchId;
  }

  public S3Path prefix() {
    return prefix;
  }

  /**
   * Starts or resumes the search of {@code experiments} on the training data at {@code train}: the first run records
   * them; a later run must bring the same ones, and gets what the earlier runs recorded.
   */
  public Earlier open(List<Experiment> experiments, String train) {
    ObjectNode plan = JSON.createObjectNode();
    plan.put("searchId", searchId);
    plan.put("train", train);
    ArrayNode list = plan.putArray("experiments");
    for (Experiment experiment : experiments) {
      ObjectNode node = list.addObject();
      node.put("id", experiment.id());
      node.set("parameters", JSON.valueToTree(experiment.parameters()));
    }
    S3Path planPath = prefix.resolve("search.json");
    if (!store.exists(planPath)) {
      store.put(planPath, bytes(plan));
      return new Earlier(Map.of(), Set.of());
    }
    JsonNode recorded = read(planPath);
    // Compared as read back, as the recorded one was: a float parameter reads back as a double.
    JsonNode now;
    try {
      now = JSON.readTree(bytes(plan));
    } catch (IOException e) {
      throw new IllegalStateException("a search's plan does not read back as JSON", e);
    }
    if (!recorded.path("experiments").equals(now.get("experiments"))
        || !recorded.path("train").asText().equals(train)) {
      throw new IllegalArgumentException("search " + searchId + " was started at " + prefix + " with other"
          + " experiments or training data: recorded " + recorded.path("train").asText() + " "
          + describe(recorded.path("experiments")) + ", now " + train + " " + describe(plan.get("experiments"))
          + "; resume it with the same grid, or give this search another searchId");
    }
    Map<Integer, ExperimentResult> finished = new HashMap<>();
    for (int id : experimentsUnder("committed/")) {
      S3Path path = finishedPath(id);
      try {
        finished.put(id, JSON.readValue(store.get(path), ExperimentResult.class));
      } catch (IOException e) {
        throw new IllegalStateException("search " + searchId + ": the committed record " + path
            + " is not an experiment's result: " + e.getMessage(), e);
      }
    }
    return new Earlier(Map.copyOf(finished), started());
  }

  /** The experiments that started in some run. */
  public Set<Integer> started() {
    return experimentsUnder("started/");
  }

  /** The experiments with a committed result: those a later run will not run again. */
  public Set<Integer> committed() {
    return experimentsUnder("committed/");
  }

  /**
   * The numbers of the experiments with a marker under {@code folder}; other objects there (a store's temporary file
   * of a PUT cut short) are not markers.
   */
  private Set<Integer> experimentsUnder(String folder) {
    Set<Integer> ids = new HashSet<>();
    for (ObjectStore.ObjectInfo object : store.list(prefix.resolve(folder))) {
      Matcher marker = MARKER.matcher(object.path().key().substring(prefix.resolve(folder).key().length()));
      if (marker.matches()) {
        ids.add(Integer.parseInt(marker.group(1)));
      }
    }
    return Set.copyOf(ids);
  }

  /** Experiment {@code id} starts: a later run that finds no result for it knows it was running. */
  public void started(int id) {
    store.put(prefix.resolve("started/experiment-" + id), new byte[0]);
  }

  /** Experiment {@code result.id()} finished: a later run reuses {@code result} instead of running it again. */
  public void finished(ExperimentResult result) {
    try {
      store.put(finishedPath(result.id()), JSON.writeValueAsBytes(result));
      store.put(prefix.resolve("committed/experiment-" + result.id()), new byte[0]);
    } catch (IOException e) {
      throw new IllegalStateException("experiment " + result.id() + "'s result is not expressible as JSON", e);
    }
  }

  public S3Path finishedPath(int id) {
    return prefix.resolve("finished/experiment-" + id + ".json");
  }

  private JsonNode read(S3Path path) {
    try {
      return JSON.readTree(store.get(path));
    } catch (IOException e) {
      throw new IllegalStateException("search " + searchId + ": " + path + " is not JSON: " + e.getMessage(), e);
    }
  }

  private static byte[] bytes(JsonNode node) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
    } catch (IOException e) {
      throw new IllegalStateException("a search's plan is not expressible as JSON", e);
    }
  }

  /** The experiments' parameters, briefly: "[learningRate=0.1, learningRate=0.2]". */
  private static String describe(JsonNode experiments) {
    StringBuilder text = new StringBuilder("[");
    for (JsonNode experiment : experiments) {
      StringBuilder one = new StringBuilder();
      experiment.path("parameters").fields().forEachRemaining(
          field -> one.append(one.isEmpty() ? "" : " ").append(field.getKey()).append('=').append(field.getValue()));
      text.append(text.length() > 1 ? ", " : "").append(one);
    }
    return text.append(']').toString();
  }
}
