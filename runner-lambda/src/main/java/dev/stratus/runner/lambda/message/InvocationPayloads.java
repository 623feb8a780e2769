package dev.stratus.runner.lambda.message;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stratus.store.StoreSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON an invocation carries (Lambda accepts only JSON payloads): references, never data. A task request names
 * the task descriptor in the store and the attempt's output prefix, and its response carries the Kryo task summary;
 * an entry-point call carries the opaque request of a {@code WorkerEntryPoint} and its answer.
 */
public final class InvocationPayloads {
  private static final ObjectMapper JSON = new ObjectMapper();

  private InvocationPayloads() {}

  /** What a worker is asked to do: run the descriptor at {@code task}, writing under {@code attemptPrefix}. */
  public record Request(String task, String attemptPrefix, StoreSpec store) {
    public byte[] toJson() {
      ObjectNode node = JSON.createObjectNode();
      node.put("formatVersion", Messages.FORMAT_VERSION);
      node.put("task", task);
      node.put("attemptPrefix", attemptPrefix);
      node.set("store", storeJson(store));
      return bytes(node);
    }

    public static Request fromJson(byte[] json) {
      JsonNode node = tree(json);
      checkVersion(node);
      return new Request(node.path("task").asText(), node.path("attemptPrefix").asText(), storeFromJson(node.path("store")));
    }

    /** The store as plain fields: a worker never deserializes Java objects from its payload. */
    private static JsonNode storeJson(StoreSpec store) {
      return JSON.valueToTree(store.workerFields());
    }

    private static StoreSpec storeFromJson(JsonNode node) {
      Map<String, String> fields = new LinkedHashMap<>();
      node.fields().forEachRemaining(field -> fields.put(field.getKey(),
          field.getValue().isTextual() ? field.getValue().asText() : null));
      if (!node.isObject() || !node.path("region").isTextual() || fields.containsValue(null)) {
        throw new Messages.IncompatibleMessageException("the invocation's 'store' must be a JSON object of endpoint,"
            + " region and credentials as text; it is " + node.getNodeType() + " with fields " + fields.keySet()
            + ": deploy the worker from the same build as the driver");
      }
      return StoreSpec.fromWorkerFields(fields, "the invocation");
    }
  }

  /** A call of the worker entry point named {@code entryPoint}, with the bytes it agreed on with its executor. */
  public record EntryPointCall(String entryPoint, byte[] request) {
    public byte[] toJson() {
      ObjectNode node = JSON.createObjectNode();
      node.put("formatVersion", Messages.FORMAT_VERSION);
      node.put("entryPoint", entryPoint);
      node.put("request", Base64.getEncoder().encodeToString(request));
      return bytes(node);
    }

    /** The call {@code json} carries, or null when it is a task request. */
    public static EntryPointCall fromJsonOrNull(byte[] json) {
      JsonNode node = tree(json);
      checkVersion(node);
      if (!node.hasNonNull("entryPoint")) {
        return null;
      }
      return new EntryPointCall(node.get("entryPoint").asText(), Base64.getDecoder().decode(node.path("request").asText()));
    }
  }

  public static byte[] answerJson(byte[] answer) {
    ObjectNode node = JSON.createObjectNode();
    node.put("formatVersion", Messages.FORMAT_VERSION);
    node.put("answer", Base64.getEncoder().encodeToString(answer));
    return bytes(node);
  }

  public static byte[] answerFromJson(byte[] json) {
    JsonNode node = tree(json);
    checkVersion(node);
    return Base64.getDecoder().decode(node.path("answer").asText());
  }

  public static byte[] responseJson(TaskSummary summary) {
    ObjectNode node = JSON.createObjectNode();
    node.put("formatVersion", Messages.FORMAT_VERSION);
    node.put("summary", Base64.getEncoder().encodeToString(Messages.write(summary)));
    return bytes(node);
  }

  public static TaskSummary summaryFromResponse(byte[] json) {
    JsonNode node = tree(json);
    checkVersion(node);
    return Messages.read(Base64.getDecoder().decode(node.path("summary").asText()), TaskSummary.class);
  }

  private static void checkVersion(JsonNode node) {
    int version = node.path("formatVersion").asInt(-1);
    if (version != Messages.FORMAT_VERSION) {
      throw new Messages.IncompatibleMessageException(
          "invocation format v" + version + " where this build speaks v" + Messages.FORMAT_VERSION
              + ": deploy the worker from the same build as the driver");
    }
  }

  private static JsonNode tree(byte[] json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException("invocation payload is not JSON", e);
    }
  }

  private static byte[] bytes(ObjectNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
