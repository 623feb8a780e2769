package dev.stratus.runner.lambda.scheduler;

import dev.stratus.runner.lambda.graph.Stage;
import dev.stratus.runner.lambda.graph.StageInput;
import dev.stratus.runner.lambda.message.ElementFiles;
import dev.stratus.runner.lambda.message.PartitionRef;
import dev.stratus.spi.ExecutionContext;
import dev.stratus.spi.Workers;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;

/**
 * One run of an in-driver stage: reads the committed partitions of its inputs, runs the executor, and writes its
 * output elements as one partition under the stage's directory.
 */
final class InDriverRun implements ExecutionContext {
  private final Stage stage;
  private final StageInput.InDriver input;
  private final ObjectStore store;
  private final StoreSpec workerStore;
  private final PipelineOptions options;
  private final S3Path stageDir;
  private final Workers workers;
  private final CommittedState committed;

  InDriverRun(
      Stage stage,
      ObjectStore store,
      StoreSpec workerStore,
      PipelineOptions options,
      S3Path stageDir,
      Workers workers,
      CommittedState committed) {
    this.stage = stage;
    this.input = (StageInput.InDriver) stage.input();
    this.store = store;
    this.workerStore = workerStore;
    this.options = options;
    this.stageDir = stageDir;
    this.workers = workers;
    this.committed = committed;
  }

  /** Runs the executor; returns the path of the output partition, or null when it output nothing. */
  String run() throws Exception {
    List<?> elements = input.executor().execute(input.transform(), this);
    Coder<WindowedValue<Object>> coder = coder(input.output());
    ElementFiles.Writer<Object> writer = new ElementFiles.Writer<>(coder);
    for (Object element : elements) {
      writer.add(WindowedValues.valueInGlobalWindow(element));
    }
    if (writer.count() == 0) {
      return null;
    }
    S3Path path = stageDir.resolve("output/" + input.output());
    store.put(path, writer.toByteArray());
    return path.toString();
  }

  @Override
  public PipelineOptions options() {
    return options;
  }

  @Override
  public List<?> mainInput() {
    return elementsOf(input.mainInput());
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> List<T> elementsOf(PCollection<T> pcollection) {
    int at = input.inputs().indexOf(pcollection);
    if (at < 0) {
      throw new IllegalArgumentException(pcollection + " is not an input of " + stage);
    }
    List<T> elements = new ArrayList<>();
    for (PartitionRef ref : committed.partitions(input.inputIds().get(at))) {
      try {
        ElementFiles.read(store.get(S3Path.parse(ref.path())), coder(ref.pcollection()),
            element -> elements.add((T) element.getValue()));
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException("cannot read " + ref + " for " + stage, e);
      }
    }
    return elements;
  }

  @Override
  public ObjectStore store() {
    return store;
  }

  @Override
  public StoreSpec workerStore() {
    return workerStore;
  }

  @Override
  public S3Path scratch() {
    return stageDir.resolve("scratch/");
  }

  @Override
  public Workers workers() {
    return workers;
  }

  @SuppressWarnings("unchecked")
  private <T> Coder<WindowedValue<T>> coder(String pcollection) {
    return (Coder<WindowedValue<T>>)
        SerializableUtils.deserializeFromByteArray(stage.coder(pcollection), "coder of " + pcollection);
  }
}
