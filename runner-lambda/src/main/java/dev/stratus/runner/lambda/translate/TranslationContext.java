package dev.stratus.runner.lambda.translate;

import dev.stratus.runner.lambda.graph.ExecutionGraph;
import dev.stratus.runner.lambda.graph.Stage;
import dev.stratus.runner.lambda.graph.StageInput;
import dev.stratus.runner.lambda.message.Op;
import dev.stratus.runner.lambda.message.Root;
import java.io.Serializable;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.WindowedValues;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * The translators' shared state: PCollection ids, which stage produces each PCollection inside its body (so a consumer
 * can fuse into it), and which PCollections must be written to the store.
 */
final class TranslationContext {
  private final ExecutionGraph graph = new ExecutionGraph();
  private final int shufflePartitions;
  private final Map<PCollection<?>, String> ids = new HashMap<>();
  private final Map<String, PCollection<?>> byId = new HashMap<>();
  private final Map<String, Stage> producers = new HashMap<>();
  /** Stages reading an in-driver stage's output from the store, shared by all its consumers. */
  private final Map<String, Stage> readers = new HashMap<>();
  private final Set<String> materialized = new HashSet<>();
  private int shuffles;
  private int intermediates;

  TranslationContext(int shufflePartitions) {
    this.shufflePartitions = shufflePartitions;
  }

  ExecutionGraph graph() {
    return graph;
  }

  /** The hash partitions every shuffle writes. */
  int shufflePartitions() {
    return shufflePartitions;
  }

  String id(PCollection<?> pcollection) {
    return ids.computeIfAbsent(
        pcollection,
        pc -> {
          String id = "pc" + ids.size();
          byId.put(id, pc);
          return id;
        });
  }

  String newShuffleId() {
    return "shuffle" + shuffles++;
  }

  /** An id for data a translator creates between tasks that is no PCollection of the pipeline. */
  String newIntermediateId(String purpose) {
    return purpose + intermediates++;
  }

  Stage newStage(String name, Root root, StageInput input) {
    return graph.newStage(name, root, input);
  }

  /** {@code output} is produced inside {@code stage}: its consumers may fuse there. */
  void produces(PCollection<?> output, Stage stage) {
    producers.put(id(output), stage);
  }

  /** {@code output} is written to the store by the driver, which runs {@code stage} itself. */
  void producesInDriver(PCollection<?> output, Stage stage) {
    producers.put(id(output), stage);
    materialized.add(id(output));
    stage.addCoder(id(output), coder(output));
  }

  /**
   * The stage a consumer of {@code input} fuses into: its producer's, or, for a Flatten's output or one the driver
   * writes, a stage reading its partitions from the store (shared by all its consumers).
   */
  Stage stageConsuming(PCollection<?> input) {
    Stage producer = producers.get(id(input));
    if (producer != null && producer.runsInDriver()) {
      return readers.computeIfAbsent(id(input), id -> newStageReading(input, "read " + input.getName()));
    }
    if (producer != null) {
      return producer;
    }
    Stage reader = newStageReading(input, "read " + input.getName());
    producers.put(id(input), reader);
    return reader;
  }

  /** A new stage whose tasks read {@code input}'s partitions from the store. */
  Stage newStageReading(PCollection<?> input, String name) {
    materialize(input);
    Stage stage = newStage(name, new Root.Files(id(input)), new StageInput.Files(id(input)));
    addReadCoders(stage, input);
    dependOnProducers(stage, input);
    return stage;
  }

  /** Makes {@code pcollection}'s producer write it to the store (for a Flatten's output: every input). */
  void materialize(PCollection<?> pcollection) {
    String id = id(pcollection);
    List<String> flattened = graph.flattenInputs(id);
    if (flattened != null) {
      for (String input : flattened) {
        materialize(byId.get(input));
      }
      return;
    }
    if (materialized.add(id)) {
      Stage producer = producers.get(id);
      if (producer == null) {
        throw new IllegalStateException("no stage produces " + pcollection + ", so it cannot be written to the store");
      }
      producer.add(new Op.Materialize(id));
      producer.addCoder(id, coder(pcollection));
    }
  }

  /** Makes {@code stage} wait for the stages that write {@code pcollection} (every input of a Flatten). */
  void dependOnProducers(Stage stage, PCollection<?> pcollection) {
    List<String> flattened = graph.flattenInputs(id(pcollection));
    if (flattened == null) {
      stage.dependOn(producers.get(id(pcollection)));
      return;
    }
    for (String input : flattened) {
      dependOnProducers(stage, byId.get(input));
    }
  }

  /** Gives {@code stage} the coders to decode {@code pcollection}'s partitions, looking through Flattens. */
  void addReadCoders(Stage stage, PCollection<?> pcollection) {
    String id = id(pcollection);
    List<String> flattened = graph.flattenInputs(id);
    if (flattened == null) {
      stage.addCoder(id, coder(pcollection));
      return;
    }
    for (String input : flattened) {
      addReadCoders(stage, byId.get(input));
    }
  }

  /** The Java-serialized coder of {@code pcollection}'s elements with their timestamps, windows and panes. */
  byte[] coder(PCollection<?> pcollection) {
    return coder(pcollection.getCoder(), pcollection.getWindowingStrategy(), pcollection.getName());
  }

  /** The Java-serialized coder of elements with {@code valueCoder} under {@code windowing}. */
  byte[] coder(Coder<?> valueCoder, WindowingStrategy<?, ?> windowing, String pcollection) {
    return serialize(
        WindowedValues.getFullCoder(valueCoder, windowing.getWindowFn().windowCoder()), "the coder of " + pcollection);
  }

  /**
   * Java-serializes what a worker will need of {@code step}, refusing first what a worker could not load: a class
   * generated in this JVM while the pipeline was built.
   */
  static byte[] serialize(Serializable value, String step) {
    DriverOnlyClasses.refuse(value, step);
    return SerializableUtils.serializeToByteArray(value);
  }
}
