package dev.stratus.jobs.search;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stratus.jobs.train.CurvePoint;
import dev.stratus.jobs.train.Prices;
import dev.stratus.jobs.train.ScalingDecision;
import dev.stratus.jobs.train.ShardRestart;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a running search looks like now, experiment by experiment: its state (waiting, running, stopping when a stop
 * was asked for, then how it ended), its losses and curve, its speed, workers, time and cost so far. Fed by a {@link
 * SearchDriver} as its {@link SearchListener}; read as JSON by the dashboard. Thread-safe.
 *
 * <p>A running experiment's cost is estimated from its workers' time so far (each worker one invocation with {@code
 * workerMemoryMb}); once it ends, the cost is its measured Lambda compute and requests. The shards' VM time is shared
 * out only in the final {@link SearchResult}.
 */
public final class SearchState implements SearchListener {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Prices prices;
  private final int workerMemoryMb;
  private final Map<Integer, Entry> experiments = new LinkedHashMap<>();
  /** The search's decisions on how many experiments run at once. */
  private final List<AtOnce> atOnce = new ArrayList<>();

  /** A change of the experiments at once (or where it settled), {@code atSeconds} after the search began. */
  private record AtOnce(double atSeconds, int from, int to, String reason) {}
  private long searchStartNanos;

  /** One experiment as it is now. */
  private static final class Entry {
    final Experiment experiment;
    final List<CurvePoint> curve = new ArrayList<>();
    final List<ShardRestart> restarts = new ArrayList<>();
    final List<ScalingDecision> scalings = new ArrayList<>();
    long startNanos;
    /** Seconds from the search's start to this experiment's; NaN while it waits. */
    double startedAt = Double.NaN;
    double bestLoss = Double.POSITIVE_INFINITY;
    boolean stopRequested;
    /** The workers it runs now: those it started with (0: its driver's to choose), until its driver says. */
    int workers;
    ExperimentResult result;

    Entry(Experiment experiment) {
      this.experiment = experiment;
    }

    String state() {
      if (result != null) {
        return result.state();
      }
      if (stopRequested) {
        return "stopping";
      }
      return Double.isNaN(startedAt) ? "waiting" : "running";
    }
  }

  /**
   * @param prices what a running experiment's cost is estimated at
   * @param workerMemoryMb the memory of one worker
   */
  public SearchState(Prices prices, int workerMemoryMb) {
    this.prices = prices;
    this.workerMemoryMb = workerMemoryMb;
  }

  @Override
  public synchronized void waiting(Experiment experiment) {
    if (experiments.isEmpty()) {
      searchStartNanos = System.nanoTime();
    }
    experiments.put(experiment.id(), new Entry(experiment));
  }

  @Override
  public synchronized void started(Experiment experiment, int workers, String resumed) {
    Entry entry = entry(experiment.id());
    entry.workers = workers;
    entry.startNanos = System.nanoTime();
    entry.startedAt = (entry.startNanos - searchStartNanos) / 1e9;
  }

  @Override
  public synchronized void evaluated(int id, CurvePoint point) {
    Entry entry = entry(id);
    entry.curve.add(point);
    if (Double.isFinite(point.validationLoss())) {
      entry.bestLoss = Math.min(entry.bestLoss, point.validationLoss());
    }
  }

  @Override
  public synchronized void workers(int id, int workers) {
    entry(id).workers = workers;
  }

  @Override
  public synchronized void scaled(int id, ScalingDecision decision) {
    entry(id).scalings.add(decision);
  }

  @Override
  public synchronized void experimentsAtOnce(int from, int to, String reason) {
    atOnce.add(new AtOnce((System.nanoTime() - searchStartNanos) / 1e9, from, to, reason));
  }

  @Override
  public synchronized void shardRestarted(int id, ShardRestart restart) {
    entry(id).restarts.add(restart);
  }

  @Override
  public synchronized void ended(ExperimentResult result) {
    Entry entry = entry(result.id());
    entry.result = result;
    // The evaluation that made the training stop itself is seen by no listener: the result's curve has it.
    if (result.curve().size() > entry.curve.size()) {
      entry.curve.clear();
      entry.curve.addAll(result.curve());
      if (Double.isFinite(result.bestValidationLoss())) {
        entry.bestLoss = Math.min(entry.bestLoss, result.bestValidationLoss());
      }
    }
  }

  /**
   * Marks experiment {@code id} as stopping until it ends (a stop was asked for); false when the search has no such
   * experiment or it has already ended.
   */
  public synchronized boolean stopRequested(int id) {
    Entry entry = experiments.get(id);
    if (entry == null || entry.result != null) {
      return false;
    }
    entry.stopRequested = true;
    return true;
  }

  public synchronized boolean has(int id) {
    return experiments.containsKey(id);
  }

  /** The ids of the experiments that have not ended, in order. */
  public synchronized List<Integer> unfinished() {
    return experiments.values().stream().filter(e -> e.result == null).map(e -> e.experiment.id()).toList();
  }

  /** The state of experiment {@code id}: waiting, running, stopping, or how it ended (see {@link ExperimentResult}). */
  public synchronized String state(int id) {
    return entry(id).state();
  }

  /** Whether the search has started and every experiment of it has ended. */
  public synchronized boolean finished() {
    return !experiments.isEmpty() && experiments.values().stream().allMatch(e -> e.result != null);
  }

  /** The search now, as the dashboard's JSON; non-finite losses are null, times in seconds. */
  public synchronized byte[] toJson() {
    long now = System.nanoTime();
    ObjectNode root = JSON.createObjectNode();
    root.put("elapsedSeconds", experiments.isEmpty() ? 0 : (now - searchStartNanos) / 1e9);
    root.put("finished", finished());
    ArrayNode decisions = root.putArray("experimentsAtOnce");
    for (AtOnce decision : atOnce) {
      decisions.addObject().put("atSeconds", decision.atSeconds()).put("from", decision.from())
          .put("to", decision.to()).put("reason", decision.reason());
    }
    ArrayNode list = root.putArray("experiments");
    for (Entry entry : experiments.values()) {
      list.add(toJson(entry, now));
    }
    try {
      return JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("search state not expressible as JSON", e);
    }
  }

  private ObjectNode toJson(Entry entry, long now) {
    Experiment experiment = entry.experiment;
    ExperimentResult result = entry.result;
    boolean running = result == null && !Double.isNaN(entry.startedAt);
    ObjectNode node = JSON.createObjectNode();
    node.put("id", experiment.id());
    node.put("label", experiment.describe());
    ObjectNode parameters = node.putObject("parameters");
    experiment.parameters().forEach(parameters::putPOJO);
    node.put("state", entry.state());
    List<CurvePoint> curve = entry.curve;
    CurvePoint last = curve.isEmpty() ? null : curve.get(curve.size() - 1);
    number(node, "currentLoss", last == null ? Double.NaN : last.validationLoss());
    number(node, "bestLoss", entry.bestLoss);
    node.put("updates", result != null ? result.updates() : last == null ? 0 : last.updates());
    node.put("updatesPerSecond", running ? recentRate(curve) : 0);
    node.put("workers", running ? entry.workers : 0);
    number(node, "startedAt", entry.startedAt);
    double elapsed = result != null ? result.seconds() : running ? (now - entry.startNanos) / 1e9 : 0;
    node.put("elapsedSeconds", elapsed);
    node.put("cost", result != null ? result.cost() : running ? estimatedCost(entry.workers, elapsed) : 0);
    node.put("costEstimated", running);
    if (result != null && result.error() != null) {
      node.put("error", result.error());
    }
    ArrayNode restarts = node.putArray("shardRestarts");
    for (ShardRestart restart : entry.restarts) {
      ObjectNode r = restarts.addObject();
      r.put("shard", restart.shard());
      r.put("atSeconds", restart.atSeconds());
      r.put("updates", restart.clockRestored());
      r.put("updatesLost", restart.updatesLost());
      r.put("snapshotAgeSeconds", restart.snapshotAgeSeconds());
    }
    ArrayNode scalings = node.putArray("scalings");
    for (ScalingDecision decision : entry.scalings) {
      scalings.addObject().put("atSeconds", decision.atSeconds()).put("updates", decision.updates())
          .put("resource", decision.resource().name().toLowerCase(Locale.ROOT)).put("from", decision.from()).put("to", decision.to()).put("reason", decision.reason());
    }
    ArrayNode points = node.putArray("curve");
    for (CurvePoint point : curve) {
      ArrayNode p = points.addArray();
      p.add(point.seconds());
      p.add(point.updates());
      if (Double.isFinite(point.validationLoss())) {
        p.add(point.validationLoss());
      } else {
        p.addNull();
      }
    }
    return node;
  }

  /** Updates per second between the last two evaluations: the speed now, not the average since the start. */
  private static double recentRate(List<CurvePoint> curve) {
    if (curve.size() < 2) {
      return 0;
    }
    CurvePoint last = curve.get(curve.size() - 1);
    CurvePoint before = curve.get(curve.size() - 2);
    double seconds = last.seconds() - before.seconds();
    return seconds > 0 ? (last.updates() - before.updates()) / seconds : 0;
  }

  /** Each worker one invocation running since the experiment started. */
  private double estimatedCost(int workers, double seconds) {
    int counted = Math.max(1, workers); // before its driver said: one at least
    return prices.lambda(counted * seconds * workerMemoryMb / 1024.0, counted);
  }

  private Entry entry(int id) {
    Entry entry = experiments.get(id);
    if (entry == null) {
      throw new IllegalArgumentException("the search has no experiment " + id + "; its experiments are "
          + experiments.keySet());
    }
    return entry;
  }

  private static void number(ObjectNode node, String field, double value) {
    if (Double.isFinite(value)) {
      node.put(field, value);
    } else {
      node.putNull(field);
    }
  }
}
