package dev.stratus.dsl;

import dev.stratus.kernels.sgd.TrainedModel;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;

/**
 * The model a training kept, as a scoring DoFn reads it: once per DoFn instance, not once per partition, and refused
 * with {@code otherwise} when it is not of the kind the DoFn scores.
 */
final class KeptModel<M extends TrainedModel> {
  private final Class<M> kind;
  private final String otherwise;
  private String loadedPath;
  private M loaded;

  KeptModel(Class<M> kind, String otherwise) {
    this.kind = kind;
    this.otherwise = otherwise;
  }

  M read(ObjectStore store, String path) {
    if (!path.equals(loadedPath)) {
      TrainedModel model = TrainedModel.fromBytes(store.get(S3Path.parse(path)), path);
      if (!kind.isInstance(model)) {
        throw new IllegalArgumentException(path + " " + otherwise);
      }
      loaded = kind.cast(model);
      loadedPath = path;
    }
    return loaded;
  }
}
