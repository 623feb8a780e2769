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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shard's model snapshots in the object store: on demand, when a model is created, periodically for the models that
 * changed, and all restored when the shard starts.
 *
 * <p>A snapshot is never half-restored: each is written whole under a key of its own,
 * {@code checkpoint/shard-<shard>/<model>/<changes>-<millis>.snapshot}, and only then does the model's pointer,
 * {@code checkpoint/shard-<shard>/<model>.latest} (one small object naming it), switch to it; the previous one is
 * deleted after the switch. A shard killed while it writes leaves the pointer on the previous complete snapshot, and
 * the restore reads only what a pointer names (deleting what none names, a killed write's leftovers).
 */
final class Snapshots {
  private static final Logger LOG = LoggerFactory.getLogger(Snapshots.class);
  private static final String POINTER = ".latest";
  private static final String DATA = ".snapshot";

  private final int shard;
  private final S3Path checkpoint;
  /** The store's client, made in the background for a shard that restores nothing; null: no checkpoint location. */
  private final CompletableFuture<ObjectStore> client;
  private final ModelRegistry models;
  private final Executor storeCalls;
  /** Per model: what its last snapshot held ({@link ServerModel#changes}) and the object it is in. */
  private final Map<String, Written> written = new ConcurrentHashMap<>();
  private long restoredSnapshotMillis; // written once, before the shard serves

  /** A model's latest snapshot: guards the writing of the next one. */
  private static final class Written {
    long changes = -1;
    String objectName; // null before the first
  }

  /**
   * With {@code inBackground} the store's client is made (and the bucket checked) on {@code storeCalls} while the
   * shard starts, for a shard that will not {@link #restoreAll}: the AWS SDK's first client takes most of a second.
   */
  Snapshots(int shard, S3Path checkpoint, StoreSpec spec, ModelRegistry models, Executor storeCalls,
      boolean inBackground) {
    this.shard = shard;
    this.checkpoint = checkpoint;
    this.models = models;
    this.storeCalls = storeCalls;
    if (spec == null) {
      this.client = null;
    } else if (inBackground) {
      this.client = CompletableFuture.supplyAsync(() -> connect(spec, checkpoint.bucket()), storeCalls);
    } else {
      this.client = CompletableFuture.completedFuture(connect(spec, checkpoint.bucket()));
    }
  }

  /** The store's client, once made; what making it threw, if it failed. */
  private ObjectStore store() {
    try {
      return client.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    }
  }

  /** Runs {@code failed} with what making the store's client threw, should it fail. */
  void whenStoreFails(Consumer<Throwable> failed) {
    if (client != null) {
      client.whenComplete((store, error) -> {
        if (error != null) {
          failed.accept(error instanceof CompletionException ? error.getCause() : error);
        }
      });
    }
  }

  /**
   * What a shard logs at DEBUG right before it writes a snapshot of {@code model}: fault-injection tests kill it
   * there, to see that the restore takes the previous complete one.
   */
  static String writingLine(int shard, String model) {
    return "shard " + shard + " writing a snapshot of '" + model + "'";
  }

  /**
   * The client of {@code spec}, whose bucket it creates unless it exists; shards starting together race to create it,
   * and losing is fine.
   */
  private static ObjectStore connect(StoreSpec spec, String bucket) {
    ObjectStore store = ObjectStore.of(spec);
    try {
      store.ensureBucket(bucket);
    } catch (StoreException e) {
      if (!store.bucketExists(bucket)) {
        throw e;
      }
    }
    return store;
  }

  private S3Path shardPrefix() {
    return checkpoint.resolve("shard-" + shard + "/");
  }

  private static String encoded(String modelName) {
    return URLEncoder.encode(modelName, StandardCharsets.UTF_8);
  }

  private S3Path pointerOf(String modelName) {
    return shardPrefix().resolve(encoded(modelName) + POINTER);
  }

  /** Where the snapshots of a model are: its pointer names one of them. */
  private S3Path dataPrefix(String modelName) {
    return shardPrefix().resolve(encoded(modelName) + "/");
  }

  private void requireStore() {
    if (client == null) {
      throw new BadRequest("shard " + shard + " has no checkpoint location (start it with --checkpoint)");
    }
  }

  /** Writes the model's slice to the store and points its pointer at it; returns the clock snapshotted. */
  long snapshot(ServerModel model) {
    requireStore();
    Written last = written.computeIfAbsent(model.name, name -> new Written());
    synchronized (last) {
      if (models.named(model.name) != model) {
        return model.clock(); // deleted meanwhile: its snapshots are gone, and stay gone
      }
      Snapshot snapshot = model.snapshot();
      byte[] bytes = snapshot.encode();
      String objectName = snapshot.changes() + "-" + snapshot.takenAtMillis() + DATA;
      LOG.debug("{} at clock {}", writingLine(shard, model.name), snapshot.clock());
      store().put(dataPrefix(model.name).resolve(objectName), bytes);
      store().put(pointerOf(model.name), objectName.getBytes(StandardCharsets.UTF_8));
      if (last.objectName != null && !last.objectName.equals(objectName)) {
        store().delete(dataPrefix(model.name).resolve(last.objectName));
      }
      last.objectName = objectName;
      last.changes = snapshot.changes();
      return snapshot.clock();
    }
  }

  /** Reloads the model's slice from its latest snapshot; returns the clock restored. */
  long restore(ServerModel model) {
    requireStore();
    Written last = written.computeIfAbsent(model.name, name -> new Written());
    synchronized (last) {
      Snapshot snapshot = latest(model.name);
      try {
        model.restore(snapshot);
      } catch (IllegalArgumentException e) {
        throw new BadRequest(e.getMessage());
      }
      last.changes = model.changes();
      return snapshot.clock();
    }
  }

  /** The snapshot the model's pointer names. */
  private Snapshot latest(String modelName) {
    S3Path pointer = pointerOf(modelName);
    if (!store().exists(pointer)) {
      throw new BadRequest("shard " + shard + " has no snapshot of model '" + modelName + "' at " + pointer);
    }
    S3Path data = dataPrefix(modelName).resolve(new String(store().get(pointer), StandardCharsets.UTF_8));
    return Snapshot.decode(store().get(data), data.toString());
  }

  /**
   * Creates and fills every model this shard has a snapshot of, under its old id; for a starting shard. Deletes the
   * objects no pointer names (written by a shard killed before it switched the pointer).
   */
  void restoreAll() {
    if (client == null) {
      return;
    }
    for (ObjectStore.ObjectInfo object : store().list(shardPrefix())) {
      String key = object.path().key();
      if (!key.endsWith(POINTER)) {
        continue;
      }
      String name = URLDecoder.decode(
          key.substring(key.lastIndexOf('/') + 1, key.length() - POINTER.length()), StandardCharsets.UTF_8);
      Snapshot snapshot = latest(name);
      if (!snapshot.name().equals(name)) {
        throw new PsException("the snapshot " + object.path() + " points to holds model '" + snapshot.name()
            + "', not '" + name + "'");
      }
      ServerModel model = models.restore(snapshot);
      if (restoredSnapshotMillis == 0 || snapshot.takenAtMillis() < restoredSnapshotMillis) {
        restoredSnapshotMillis = snapshot.takenAtMillis();
      }
      Written last = new Written();
      last.changes = model.changes();
      last.objectName = new String(store().get(object.path()), StandardCharsets.UTF_8);
      written.put(name, last);
      for (ObjectStore.ObjectInfo data : store().list(dataPrefix(name))) {
        if (!data.path().key().endsWith("/" + last.objectName)) {
          store().delete(data.path());
        }
      }
      LOG.info("shard {}: restored model '{}' (id {}) at clock {} from {}", shard, name, model.id, snapshot.clock(),
          object.path());
    }
  }

  /** When the oldest snapshot {@link #restoreAll} restored was taken (ms since the epoch); 0 when it restored none. */
  long restoredSnapshotMillis() {
    return restoredSnapshotMillis;
  }

  /** Snapshots every model that changed since its last snapshot; failures are logged and retried next time. */
  void snapshotChanged() {
    for (ServerModel model : models.all()) {
      if (!model.spec.snapshotted()) {
        continue;
      }
      Written last = written.get(model.name);
      if (last == null || model.changes() != last.changes) {
        try {
          snapshot(model);
        } catch (RuntimeException e) {
          LOG.warn("shard {}: periodic snapshot of '{}' failed: {}", shard, model.name, e.toString());
        }
      }
    }
  }

  /**
   * Snapshots a model just created, in the background: a shard that dies before its next periodic snapshot still
   * comes back with the model, under the id its clients name it by.
   */
  void created(ServerModel model) {
    if (client == null || written.containsKey(model.name) || !model.spec.snapshotted()) {
      return;
    }
    submit(() -> snapshot(model), "snapshot of new model '" + model.name + "'");
  }

  /** Deletes a deleted model's snapshots in the background, so that a restarted shard does not bring it back. */
  void deleted(String modelName) {
    if (client == null) {
      return;
    }
    submit(() -> {
      Written last = written.computeIfAbsent(modelName, name -> new Written());
      synchronized (last) {
        store().delete(pointerOf(modelName));
        store().deleteAll(dataPrefix(modelName));
        written.remove(modelName);
      }
    }, "deletion of the snapshots of '" + modelName + "'");
  }

  private void submit(Runnable storeCall, String what) {
    try {
      storeCalls.execute(() -> {
        try {
          storeCall.run();
        } catch (RuntimeException e) {
          LOG.warn("shard {}: {} failed: {}", shard, what, e.toString());
        }
      });
    } catch (RejectedExecutionException closing) {
      // the shard is closing
    }
  }
}
