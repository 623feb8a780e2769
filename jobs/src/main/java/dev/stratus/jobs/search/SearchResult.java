package dev.stratus.jobs.search;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stratus.jobs.train.CurvePoint;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * What a search found: every experiment, best validation loss first (experiments without a finite loss last), the
 * best model's location, and what the whole search took and cost.
 *
 * @param experiments ranked, best first
 * @param bestModelPath the first experiment's model; null when no experiment produced one
 * @param lambdaCost every experiment's Lambda compute and requests, in dollars
 * @param shardCost the shards' VM time over the whole search, in dollars
 * @param resultPath where this result was written as JSON; null until it was
 */
public record SearchResult(
    List<ExperimentResult> experiments,
    String bestModelPath,
    double seconds,
    long updates,
    int parallelism,
    int psShards,
    double lambdaCost,
    double shardCost,
    String resultPath)
    implements Serializable {
  private static final ObjectMapper JSON = new ObjectMapper();

  public SearchResult writtenTo(String location) {
    return new SearchResult(experiments, bestModelPath, seconds, updates, parallelism, psShards, lambdaCost, shardCost,
        location);
  }

  public ExperimentResult best() {
    return experiments.isEmpty() ? null : experiments.get(0);
  }

  public double totalCost() {
    return lambdaCost + shardCost;
  }

  /** The result as JSON, for a person or a dashboard; non-finite losses are null. */
  public byte[] toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("bestModelPath", bestModelPath);
    root.put("seconds", seconds);
    root.put("updates", updates);
    root.put("parallelism", parallelism);
    root.put("psShards", psShards);
    ObjectNode cost = root.putObject("cost");
    cost.put("lambda", lambdaCost);
    cost.put("shards", shardCost);
    cost.put("total", totalCost());
    ArrayNode list = root.putArray("experiments");
    int rank = 1;
    for (ExperimentResult e : experiments) {
      ObjectNode node = list.addObject();
      node.put("rank", rank++);
      node.put("id", e.id());
      ObjectNode parameters = node.putObject("parameters");
      e.parameters().forEach((name, value) -> parameters.putPOJO(name, value));
      node.put("state", e.state());
      number(node, "bestValidationLoss", e.bestValidationLoss());
      number(node, "finalValidationLoss", e.finalValidationLoss());
      node.put("seconds", e.seconds());
      node.put("updates", e.updates());
      node.put("requests", e.requests());
      node.put("gbSeconds", e.gbSeconds());
      node.put("cost", e.cost());
      node.put("modelPath", e.modelPath());
      if (e.error() != null) {
        node.put("error", e.error());
      }
      if (e.resumed() != null) {
        node.put("resumed", e.resumed());
      }
      ArrayNode curve = node.putArray("curve");
      for (CurvePoint point : e.curve()) {
        ObjectNode p = curve.addObject();
        p.put("seconds", point.seconds());
        p.put("updates", point.updates());
        number(p, "validationLoss", point.validationLoss());
      }
    }
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("search result not expressible as JSON", e);
    }
  }

  private static void number(ObjectNode node, String field, double value) {
    if (Double.isFinite(value)) {
      node.put(field, value);
    } else {
      node.putNull(field);
    }
  }

  /** One line per experiment, best first; "(recorded)" marks one a resumed search did not run again. */
  public String table() {
    StringBuilder text = new StringBuilder(String.format(
        "%-4s %-40s %-22s %10s %10s %12s %8s %10s%n", "rank", "parameters", "state", "best loss", "final loss",
        "updates", "seconds", "cost $"));
    int rank = 1;
    for (ExperimentResult e : experiments) {
      text.append(String.format("%-4d %-40s %-22s %10.5f %10.5f %,12d %8.1f %10.6f%n", rank++,
          Experiment.describe(e.parameters()),
          ExperimentResult.RECORDED.equals(e.resumed()) ? e.state() + " (recorded)" : e.state(),
          e.bestValidationLoss(),
          e.finalValidationLoss(), e.updates(), e.seconds(), e.cost()));
    }
    text.append(String.format("%d experiments, %d at a time, in %.1f s: %,d updates, $%.6f (Lambda $%.6f, shards"
        + " $%.6f); best model %s", experiments.size(), parallelism, seconds, updates, totalCost(), lambdaCost,
        shardCost, bestModelPath));
    return text.toString();
  }
}
