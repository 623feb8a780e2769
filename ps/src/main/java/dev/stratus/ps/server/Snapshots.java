package dev.stratus.ps.server;

import dev.stratus.ps.PsException;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreException;
import dev.stratus.store.StoreSpec;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shard's model snapshots in the object store, at {@code checkpoint/shard-<shard>/<model>.snapshot}: on demand,
 * periodically for the models that changed, and all restored when the shard starts.
 */
final class Snapshots {
  private static final Logger LOG = LoggerFactory.getLogger(PsServer.class);

  private final int shard;
  private final S3Path checkpoint;
  private final ObjectStore store; // null: this shard has no checkpoint location
  private final ModelRegistry models;
  private final Map<String, Long> changesAtSnapshot = new ConcurrentHashMap<>();

  Snapshots(int shard, S3Path checkpoint, StoreSpec spec, ModelRegistry models) {
    this.shard = shard;
    this.checkpoint = checkpoint;
    this.store = spec == null ? null : ObjectStore.of(spec);
    this.models = models;
    if (store != null) {
      ensureBucket(checkpoint.bucket());
    }
  }

  /** Creates the bucket unless it exists; shards starting together race to create it, and losing is fine. */
  private void ensureBucket(String bucket) {
    try {
      store.ensureBucket(bucket);
    } catch (StoreException e) {
      if (!store.bucketExists(bucket)) {
        throw e;
      }
    }
  }

  private S3Path shardPrefix() {
    return checkpoint.resolve("shard-" + shard + "/");
  }

  private S3Path pathOf(String modelName) {
    return shardPrefix().resolve(URLEncoder.encode(modelName, StandardCharsets.UTF_8) + ".snapshot");
  }

  private void requireStore() {
    if (store == null) {
      throw new BadRequest("shard " + shard + " has no checkpoint location (start it with --checkpoint)");
    }
  }

  /** Writes the model's slice to the store; returns the clock snapshotted. */
  long snapshot(ServerModel model) {
    requireStore();
    long changes = model.changes();
    Snapshot snapshot = model.snapshot();
    store.put(pathOf(model.name), snapshot.encode());
    changesAtSnapshot.put(model.name, changes);
    return snapshot.clock();
  }

  /** Reloads the model's slice from its last snapshot; returns the clock restored. */
  long restore(ServerModel model) {
    requireStore();
    S3Path path = pathOf(model.name);
    Snapshot snapshot = Snapshot.decode(store.get(path), path.toString());
    try {
      model.restore(snapshot);
    } catch (IllegalArgumentException e) {
      throw new BadRequest(e.getMessage());
    }
    changesAtSnapshot.put(model.name, model.changes());
    return snapshot.clock();
  }

  /** Creates and fills every model this shard has a snapshot of; for a starting shard. */
  void restoreAll() {
    if (store == null) {
      return;
    }
    for (ObjectStore.ObjectInfo object : store.list(shardPrefix())) {
      String key = object.path().key();
      if (!key.endsWith(".snapshot")) {
        continue;
      }
      Snapshot snapshot = Snapshot.decode(store.get(object.path()), object.path().toString());
      String fileName = key.substring(key.lastIndexOf('/') + 1, key.length() - ".snapshot".length());
      if (!URLDecoder.decode(fileName, StandardCharsets.UTF_8).equals(snapshot.name())) {
        throw new PsException("snapshot " + object.path() + " holds model '" + snapshot.name() + "'");
      }
      ServerModel model = models.create(snapshot.name(), snapshot.spec(), snapshot.rowStart(), snapshot.rowEnd());
      model.restore(snapshot);
      changesAtSnapshot.put(model.name, model.changes());
      LOG.info("shard {}: restored model '{}' at clock {} from {}", shard, model.name, snapshot.clock(),
          object.path());
    }
  }

  /** Snapshots every model that changed since its last snapshot; failures are logged and retried next time. */
  void snapshotChanged() {
    for (ServerModel model : models.all()) {
      if (model.changes() != changesAtSnapshot.getOrDefault(model.name, -1L)) {
        try {
          snapshot(model);
        } catch (RuntimeException e) {
          LOG.warn("shard {}: periodic snapshot of '{}' failed: {}", shard, model.name, e.toString());
        }
      }
    }
  }
}
