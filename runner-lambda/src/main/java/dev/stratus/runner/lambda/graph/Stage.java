package dev.stratus.runner.lambda.graph;

import dev.stratus.runner.lambda.message.Op;
import dev.stratus.runner.lambda.message.Root;
import dev.stratus.runner.lambda.message.StagePlan;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.beam.sdk.values.WindowedValues.WindowedValueCoder;

/**
 * A root and the chain of operations fused below it; every task of the stage runs all of them over one partition.
 * Translation adds operations as it meets consumers; a stage can run once the stages it depends on are done.
 */
public final class Stage {
  private final int id;
  private final String name;
  private final Root root;
  private final StageInput input;
  private final ArrayList<Op> ops = new ArrayList<>();
  private final LinkedHashMap<String, byte[]> coders = new LinkedHashMap<>();
  private final Set<String> sideInputs = new LinkedHashSet<>();
  private final Set<Integer> dependencies = new LinkedHashSet<>();

  Stage(int id, String name, Root root, StageInput input) {
    this.id = id;
    this.name = name;
    this.root = root;
    this.input = input;
  }

  public int id() {
    return id;
  }

  public String name() {
    return name;
  }

  public StageInput input() {
    return input;
  }

  /** A stage the driver runs itself ({@link StageInput.InDriver}): no consumer fuses into it. */
  public boolean runsInDriver() {
    return input instanceof StageInput.InDriver;
  }

  /** The Java-serialized windowed-value coder of {@code pcollection}, as recorded by {@link #addCoder}. */
  public byte[] coder(String pcollection) {
    byte[] coder = coders.get(pcollection);
    if (coder == null) {
      throw new IllegalStateException(this + " has no coder for " + pcollection);
    }
    return coder;
  }

  /** PCollections (or flatten outputs) this stage's ParDos read as side inputs. */
  public Set<String> sideInputs() {
    return sideInputs;
  }

  /** Ids of the stages whose output this stage reads (main input, shuffle or side input). */
  public Set<Integer> dependencies() {
    return dependencies;
  }

  public void dependOn(Stage producer) {
    if (producer != this) {
      dependencies.add(producer.id());
    }
  }

  public void add(Op op) {
    ops.add(op);
  }

  /** Records the windowed-value coder of a PCollection this stage reads from or writes to the store. */
  public void addCoder(String pcollection, byte[] coder) {
    coders.put(pcollection, coder);
  }

  public void addSideInput(String pcollection) {
    sideInputs.add(pcollection);
  }

  public StagePlan plan(String pipelineOptions) {
    return new StagePlan(
        id,
        name,
        root,
        new ArrayList<>(ops),
        new LinkedHashMap<>(coders),
        pipelineOptions,
        WindowedValueCoder.isMetadataSupported());
  }

  @Override
  public String toString() {
    return "stage " + id + " (" + name + ")";
  }
}
