package dev.stratus.ps.server;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.Optimizer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The models a shard holds, by name and by the id that requests name them with. Their memory together is capped
 * ({@code modelsMaxBytes}), so that no client can take the shard's heap by creating models: a model costs its
 * weights, its optimizer state and a fixed overhead for its locks and counters.
 */
final class ModelRegistry {
  /** What a model costs beyond its floats: stripe locks, counters, names. */
  static final long OVERHEAD_BYTES = 8 << 10;
  private static final int MAX_NAME_CHARS = 200;

  private final int shard;
  private final long maxBytes;
  private final Map<String, ServerModel> byName = new ConcurrentHashMap<>();
  private volatile ServerModel[] byId = new ServerModel[0];
  private long bytes; // guarded by byName

  ModelRegistry(int shard, long maxBytes) {
    this.shard = shard;
    this.maxBytes = maxBytes;
  }

  int size() {
    return byName.size();
  }

  /** The models that exist now (a deleted model's id stays unused). */
  List<ServerModel> all() {
    return Arrays.stream(byId).filter(Objects::nonNull).toList();
  }

  /** Push slices applied to the models held now ({@link ServerModel#changes}, restored ones included). */
  long updatesHeld() {
    long sum = 0;
    for (ServerModel model : byId) {
      if (model != null) {
        sum += model.changes();
      }
    }
    return sum;
  }

  /** The model of that name, or null. */
  ServerModel named(String name) {
    return byName.get(name);
  }

  ServerModel get(int id) {
    ServerModel[] models = byId;
    if (id < 0 || id >= models.length) {
      throw new BadRequest("unknown model id " + id + " on shard " + shard + " (create the model first)");
    }
    if (models[id] == null) {
      throw new BadRequest("model id " + id + " on shard " + shard + " was deleted");
    }
    return models[id];
  }

  /** The model of that name, created if absent; an existing one must have the same spec and rows. */
  ServerModel create(String name, ModelSpec spec, int rowStart, int rowEnd) {
    return create(name, spec, rowStart, rowEnd, -1);
  }

  /**
   * A model restored from {@code snapshot} when the shard starts, under the id it had: clients that named it by that
   * id before the shard died go on naming it after. Models created later get ids above every restored one.
   */
  ServerModel restore(Snapshot snapshot) {
    if (snapshot.id() < 0 || byId.length > snapshot.id() && byId[snapshot.id()] != null) {
      throw new BadRequest("snapshot of model '" + snapshot.name() + "' names id " + snapshot.id() + ", which shard "
          + shard + " has given already");
    }
    ServerModel model = create(snapshot.name(), snapshot.spec(), snapshot.rowStart(), snapshot.rowEnd(),
        snapshot.id());
    model.restore(snapshot);
    return model;
  }

  /** {@code id}: the id to give a new model, or -1 for the next free one. */
  private ServerModel create(String name, ModelSpec spec, int rowStart, int rowEnd, int id) {
    if (name.isEmpty() || name.length() > MAX_NAME_CHARS) {
      throw new BadRequest("a model name must have 1 to " + MAX_NAME_CHARS + " characters");
    }
    if (rowStart < 0 || rowStart > rowEnd || rowEnd > spec.rows()) {
      throw new BadRequest("row range " + rowStart + ".." + rowEnd + " is not within the model's " + spec.rows()
          + " rows");
    }
    synchronized (byName) {
      ServerModel existing = byName.get(name);
      if (existing != null) {
        if (!existing.spec.equals(spec) || existing.rowStart != rowStart || existing.rowEnd != rowEnd) {
          throw new BadRequest("model '" + name + "' already exists on shard " + shard + " as " + existing.spec
              + " rows " + existing.rowStart + ".." + existing.rowEnd + "; asked for " + spec + " rows " + rowStart
              + ".." + rowEnd);
        }
        return existing;
      }
      long cost = bytesOf(spec, rowStart, rowEnd);
      if (cost > maxBytes - bytes) {
        throw new BadRequest("model '" + name + "' needs " + mib(cost) + " MiB on shard " + shard + ", and the "
            + byName.size() + " models there already take " + mib(bytes) + " of the " + mib(maxBytes)
            + " MiB models may use (--models-max-bytes)");
      }
      ServerModel model = new ServerModel(id < 0 ? byId.length : id, name, spec, rowStart, rowEnd);
      ServerModel[] grown = Arrays.copyOf(byId, Math.max(byId.length, model.id + 1));
      grown[model.id] = model;
      byId = grown;
      byName.put(name, model);
      bytes += cost;
      return model;
    }
  }

  /**
   * Deletes the model of that name and gives its memory back; returns whether it existed. Its id is never given to
   * another model, so a late request naming it fails instead of reaching a stranger's weights.
   */
  boolean delete(String name) {
    synchronized (byName) {
      ServerModel model = byName.remove(name);
      if (model == null) {
        return false;
      }
      ServerModel[] shrunk = byId.clone();
      shrunk[model.id] = null;
      byId = shrunk;
      bytes -= bytesOf(model.spec, model.rowStart, model.rowEnd);
      return true;
    }
  }

  private static long bytesOf(ModelSpec spec, int rowStart, int rowEnd) {
    long floats = (long) (rowEnd - rowStart) * spec.cols();
    return floats * (spec.optimizer() == Optimizer.SGD ? 4 : 8) + OVERHEAD_BYTES;
  }

  private static String mib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.1f", bytes / 1048576.0);
  }
}
