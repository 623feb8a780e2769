package dev.stratus.dsl;

import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import org.apache.beam.sdk.transforms.DoFn;

/**
 * A DoFn that uses the object store: it opens the store the pipeline's {@link StoreOptions} name when a bundle starts,
 * in whichever JVM runs it, so no client is ever serialized with the function.
 */
abstract class StoreDoFn<InputT, OutputT> extends DoFn<InputT, OutputT> {
  protected transient ObjectStore store;

  @StartBundle
  public void openStore(StartBundleContext context) {
    store = ObjectStore.of(StoreOptions.spec(context.getPipelineOptions().as(StoreOptions.class)));
  }
}
