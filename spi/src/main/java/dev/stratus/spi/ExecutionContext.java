package dev.stratus.spi;

import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.PCollection;

/** What a runner gives a {@link TransformExecutor} while it runs in the driver. */
public interface ExecutionContext {
  PipelineOptions options();

  /** Every element of the transform's main input. */
  List<?> mainInput();

  /** Every element of {@code input}, which must be an input of the transform (main or additional). */
  <T> List<T> elementsOf(PCollection<T> input);

  /** The object store, as the driver reaches it. */
  ObjectStore store();

  /** The object store as workers reach it (an endpoint, never the driver's in-process server). */
  StoreSpec workerStore();

  /** A directory of the store for this execution's own objects; the runner deletes it after the run. */
  S3Path scratch();

  /** The runner's worker function. */
  Workers workers();
}
