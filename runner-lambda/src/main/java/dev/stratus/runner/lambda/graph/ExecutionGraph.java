package dev.stratus.runner.lambda.graph;

import dev.stratus.runner.lambda.message.Root;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pipeline as LambdaRunner runs it: stages in a topological order, and the Flattens, which need no task of their
 * own (a Flatten's partitions are its inputs' partitions).
 */
public final class ExecutionGraph {
  private final List<Stage> stages = new ArrayList<>();
  private final Map<String, List<String>> flattenInputs = new LinkedHashMap<>();

  public Stage newStage(String name, Root root, StageInput input) {
    Stage stage = new Stage(stages.size(), name, root, input);
    stages.add(stage);
    return stage;
  }

  public void addFlatten(String output, List<String> inputs) {
    flattenInputs.put(output, List.copyOf(inputs));
  }

  /** The inputs of a Flatten's output, in order and with repeats, or null if {@code pcollection} is no Flatten's. */
  public List<String> flattenInputs(String pcollection) {
    return flattenInputs.get(pcollection);
  }

  public List<Stage> stages() {
    return Collections.unmodifiableList(stages);
  }
}
