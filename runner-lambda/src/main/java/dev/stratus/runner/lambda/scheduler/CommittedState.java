package dev.stratus.runner.lambda.scheduler;

import dev.stratus.runner.lambda.graph.ExecutionGraph;
import dev.stratus.runner.lambda.message.PartitionRef;
import dev.stratus.runner.lambda.message.ShufflePart;
import dev.stratus.runner.lambda.message.TaskMetrics;
import dev.stratus.runner.lambda.message.TaskSummary;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.metrics.MetricResults;

/**
 * What one run has committed so far: the partitions of each PCollection and the files of each shuffle partition that
 * later stages read, and the metrics Beam reports (those of every attempt, and those of committed attempts only).
 * The {@link TaskScheduler} decides what to run and when; this class only keeps the results. Safe for the scheduler's
 * concurrent stages and tasks.
 */
public final class CommittedState {
  private final ExecutionGraph graph;
  private final Map<String, List<PartitionRef>> partitions = new HashMap<>();
  private final Map<String, List<ShufflePart>> shuffles = new HashMap<>();
  private final MetricsContainerStepMap attempted = new MetricsContainerStepMap();
  private final MetricsContainerStepMap committed = new MetricsContainerStepMap();

  CommittedState(ExecutionGraph graph) {
    this.graph = graph;
  }

  /** The committed partitions of a PCollection; a Flatten's output has all of its inputs', repeats included. */
  synchronized ArrayList<PartitionRef> partitions(String pcollection) {
    List<String> flattened = graph.flattenInputs(pcollection);
    ArrayList<PartitionRef> refs = new ArrayList<>();
    if (flattened == null) {
      refs.addAll(partitions.getOrDefault(pcollection, List.of()));
    } else {
      for (String input : flattened) {
        refs.addAll(partitions(input));
      }
    }
    return refs;
  }

  /** The parts committed tasks wrote to a shuffle. */
  synchronized List<ShufflePart> shuffleParts(String shuffleId) {
    return List.copyOf(shuffles.getOrDefault(shuffleId, List.of()));
  }

  /** Commits the files a task's chosen attempt wrote. */
  synchronized void commit(TaskSummary summary) {
    summary.materialized().forEach(this::addPartition);
    summary.shuffled().forEach((shuffleId, parts) -> shuffles.computeIfAbsent(shuffleId, k -> new ArrayList<>()).addAll(parts));
  }

  /** Commits one partition written in the driver (an in-driver stage's output). */
  synchronized void commitPartition(String pcollection, String path) {
    addPartition(pcollection, path);
  }

  private void addPartition(String pcollection, String path) {
    partitions.computeIfAbsent(pcollection, k -> new ArrayList<>()).add(new PartitionRef(pcollection, path));
  }

  /**
   * Counts an attempt's metrics as attempted, and as committed too when it succeeded: the first attempt of a task to
   * succeed is the one committed.
   */
  synchronized void recordAttempt(TaskSummary summary) {
    MetricsContainerStepMap metrics = TaskMetrics.decode(summary.metrics());
    attempted.updateAll(metrics);
    if (summary.succeeded()) {
      committed.updateAll(metrics);
    }
  }

  /** Metrics reported in the driver (while splitting a source): they happen once, so count as attempted and committed. */
  synchronized void recordDriverMetrics(MetricsContainerStepMap metrics) {
    attempted.updateAll(metrics);
    committed.updateAll(metrics);
  }

  /** The metrics as Beam's {@code PipelineResult} reports them. */
  public synchronized MetricResults metricResults() {
    return MetricsContainerStepMap.asMetricResults(attempted, committed);
  }
}
