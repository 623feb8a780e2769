package dev.stratus.jobs.train;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.iterate.MinibatchIterator.Position;
import dev.stratus.kernels.sgd.FactorObjective;
import dev.stratus.kernels.sgd.LinearObjective;
import dev.stratus.kernels.sgd.Objective;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.ShardAccess;
import dev.stratus.ps.ShardAddress;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A worker's task and outcome as JSON, field by field: what crosses to a worker process or a Lambda invocation. No
 * general-purpose deserializer reads these bytes, so a request can only ever become a {@link WorkerTask}.
 */
public final class WorkerMessages {
  private static final ObjectMapper JSON = new ObjectMapper().addMixIn(Objective.class, ObjectiveKinds.class);

  /** A spec's objective travels with its kind, so the worker rebuilds the same record. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = LinearObjective.class, name = "linear"),
    @JsonSubTypes.Type(value = FactorObjective.class, name = "factors")
  })
  private interface ObjectiveKinds {}
  /** Raise when a field changes meaning; a worker from another build refuses the task instead of misreading it. */
  private static final int VERSION = 4;

  private WorkerMessages() {}

  public static byte[] task(WorkerTask task) {
    ObjectNode node = JSON.createObjectNode();
    node.put("version", VERSION);
    node.set("spec", spec(task.spec()));
    node.set("store", store(task.store()));
    node.put("trainLocation", task.train().location());
    node.put("trainManifest", new String(task.train().manifest().toJson(), StandardCharsets.UTF_8));
    ArrayNode shards = node.putArray("shards");
    task.shards().forEach(a -> shards.add(ShardAddress.format(a)));
    node.put("shardsAt", task.shardsAt() == null ? null : task.shardsAt().toString());
    node.put("token", task.access().token());
    node.put("trustedCertificate", task.access().trustedCertificatePem()); // null: the shards serve plain frames
    node.put("model", task.modelName());
    node.put("worker", task.workerId());
    node.put("generation", task.generation());
    ArrayNode partitions = node.putArray("partitions");
    for (int p : task.partitions()) {
      partitions.add(p);
    }
    node.set("start", position(task.start()));
    return bytes(node);
  }

  public static WorkerTask task(byte[] json) {
    JsonNode node = tree(json, "worker task");
    String location = text(node, "trainLocation");
    Dataset train =
        new Dataset(
            location,
            DatasetManifest.fromJson(text(node, "trainManifest").getBytes(StandardCharsets.UTF_8), location));
    List<InetSocketAddress> shards = new ArrayList<>();
    for (JsonNode shard : node.path("shards")) {
      shards.add(ShardAddress.parse(shard.asText()));
    }
    JsonNode partitionNodes = node.path("partitions");
    int[] partitions = new int[partitionNodes.size()];
    for (int i = 0; i < partitions.length; i++) {
      partitions[i] = partitionNodes.get(i).asInt();
    }
    return new WorkerTask(
        spec(node.path("spec")),
        store(node.path("store")),
        train,
        shards,
        node.path("shardsAt").isTextual() ? S3Path.parse(node.path("shardsAt").asText()) : null,
        new ShardAccess(text(node, "token"), node.path("trustedCertificate").textValue()),
        text(node, "model"),
        node.path("worker").asInt(),
        node.path("generation").asInt(),
        partitions,
        position(node.path("start")));
  }

  public static byte[] outcome(WorkerTask.WorkerOutcome outcome) {
    ObjectNode node = JSON.createObjectNode();
    node.put("version", VERSION);
    node.put("dataEnded", outcome.dataEnded());
    node.set("position", position(outcome.position()));
    node.put("stallNanos", outcome.stallNanos());
    node.put("workSeconds", outcome.workSeconds());
    StepTimes times = outcome.times();
    node.put("iterations", times.iterations());
    node.set("totalNanos", longs(times.totalNanos()));
    ArrayNode samples = node.putArray("samples");
    for (long[] step : times.samples()) {
      samples.add(longs(step));
    }
    return bytes(node);
  }

  public static WorkerTask.WorkerOutcome outcome(byte[] json) {
    JsonNode node = tree(json, "worker outcome");
    long[][] samples = new long[node.path("samples").size()][];
    for (int s = 0; s < samples.length; s++) {
      samples[s] = longs(node.path("samples").get(s));
    }
    StepTimes times = StepTimes.of(node.path("iterations").asLong(), longs(node.path("totalNanos")), samples);
    return new WorkerTask.WorkerOutcome(
        node.path("dataEnded").asBoolean(),
        position(node.path("position")),
        times,
        node.path("stallNanos").asLong(),
        node.path("workSeconds").asDouble());
  }

  private static ObjectNode spec(TrainingSpec spec) {
    return JSON.valueToTree(spec);
  }

  private static TrainingSpec spec(JsonNode node) {
    try {
      return JSON.treeToValue(node, TrainingSpec.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("worker task: unreadable training spec: " + e.getMessage(), e);
    }
  }

  private static JsonNode store(StoreSpec store) {
    return JSON.valueToTree(store.workerFields());
  }

  private static StoreSpec store(JsonNode node) {
    return StoreSpec.fromWorkerFields(JSON.convertValue(node, new TypeReference<Map<String, String>>() {}),
        "worker task");
  }

  private static ObjectNode position(Position position) {
    ObjectNode node = JSON.createObjectNode();
    node.put("epoch", position.epoch());
    node.put("step", position.step());
    node.put("row", position.row());
    return node;
  }

  private static Position position(JsonNode node) {
    return new Position(node.path("epoch").asInt(), node.path("step").asInt(), node.path("row").asInt());
  }

  private static ArrayNode longs(long[] values) {
    ArrayNode array = JSON.createArrayNode();
    for (long v : values) {
      array.add(v);
    }
    return array;
  }

  private static long[] longs(JsonNode array) {
    long[] values = new long[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = array.get(i).asLong();
    }
    return values;
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new IllegalArgumentException("worker message: missing field '" + field + "'");
    }
    return value.asText();
  }

  private static JsonNode tree(byte[] json, String what) {
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException(what + ": not JSON (" + e.getMessage() + ")", e);
    }
    if (node == null || node.path("version").asInt(-1) != VERSION) {
      throw new IllegalArgumentException(what + ": format v" + (node == null ? "?" : node.path("version").asInt(-1))
          + " where this build reads v" + VERSION + ": deploy the worker from the same build as the driver");
    }
    return node;
  }

  private static byte[] bytes(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
