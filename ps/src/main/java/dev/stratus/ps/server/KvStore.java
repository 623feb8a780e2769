package dev.stratus.ps.server;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A shard's key-value map for intermediate data and message passing. Values are opaque bytes; {@link #add} treats a
 * value as a little-endian float vector and adds to it atomically (a reduce across workers).
 *
 * <p>What the entries take is capped, keys as well as values, so that no client can exhaust the shard's heap with
 * many keys or large values: an entry costs its value's bytes, two bytes per key character and a fixed overhead
 * ({@link #ENTRY_OVERHEAD_BYTES}) for the map node, the key and the value objects.
 *
 * <p>A caller may {@link #watch} a key: it is told once the key's value differs from the one it last saw, by the
 * call that changed it, so that nobody polls for a change.
 */
final class KvStore {
  private static final VarHandle FLOAT =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

  /** A map node, a String and an array header on a 64-bit JVM, rounded up. */
  static final int ENTRY_OVERHEAD_BYTES = 96;

  private final ConcurrentHashMap<String, byte[]> values = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Set<Runnable>> watchers = new ConcurrentHashMap<>();
  private final AtomicLong bytes = new AtomicLong();
  private final long maxBytes;

  KvStore(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  void put(String key, byte[] value) {
    values.compute(key, (k, old) -> {
      reserve(old == null ? entryBytes(key, value.length) : value.length - (long) old.length);
      return value;
    });
    changed(key);
  }

  /** What an entry of this key and a value of {@code valueBytes} bytes counts against the cap. */
  static long entryBytes(String key, long valueBytes) {
    return ENTRY_OVERHEAD_BYTES + 2L * key.length() + valueBytes;
  }

  byte[] get(String key) {
    return values.get(key);
  }

  boolean delete(String key) {
    byte[] old = values.remove(key);
    if (old != null) {
      bytes.addAndGet(-entryBytes(key, old.length));
      changed(key);
    }
    return old != null;
  }

  /** Adds {@code delta} to the float vector under {@code key} (absent: zeros) and returns the sum, atomically. */
  float[] add(String key, float[] delta) {
    float[] sum = new float[delta.length];
    values.compute(
        key,
        (k, old) -> {
          if (old == null) {
            reserve(entryBytes(key, delta.length * 4L));
          } else if (old.length != delta.length * 4) {
            throw new IllegalArgumentException(
                "cannot add " + delta.length + " floats to '" + key + "', which holds " + old.length + " bytes");
          }
          byte[] updated = new byte[delta.length * 4];
          for (int i = 0; i < delta.length; i++) {
            float current = old == null ? 0f : (float) FLOAT.get(old, i * 4);
            sum[i] = current + delta[i];
            FLOAT.set(updated, i * 4, sum[i]);
          }
          return updated;
        });
    changed(key);
    return sum;
  }

  /**
   * Runs {@code onChange} once the value under {@code key} is not {@code seen} (null: absent), at once (on this
   * thread) if it is not now, else on the thread of the call that changes it; it may run more than once, and should
   * act once. Returns what stops the watch.
   */
  Runnable watch(String key, byte[] seen, Runnable onChange) {
    // registered before the value is compared: a change after the comparison finds the watcher, one before it is seen
    watchers.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(onChange);
    Runnable unwatch = () -> watchers.computeIfPresent(key, (k, set) -> {
      set.remove(onChange);
      return set.isEmpty() ? null : set;
    });
    if (!Arrays.equals(values.get(key), seen)) {
      unwatch.run();
      onChange.run();
    }
    return unwatch;
  }

  /** Keys some caller watches now. */
  int keysWatched() {
    return watchers.size();
  }

  /** Tells the watchers of {@code key} that its value changed, and forgets them. */
  private void changed(String key) {
    Set<Runnable> told = watchers.remove(key);
    if (told != null) {
      told.forEach(Runnable::run);
    }
  }

  List<String> list(String prefix) {
    List<String> keys = new ArrayList<>();
    for (String key : values.keySet()) {
      if (key.startsWith(prefix)) {
        keys.add(key);
      }
    }
    keys.sort(null);
    return keys;
  }

  private void reserve(long n) {
    if (bytes.addAndGet(n) > maxBytes && n > 0) {
      bytes.addAndGet(-n);
      throw new IllegalArgumentException("the key-value store of this shard is full (" + maxBytes
          + " bytes, keys and values counted); delete keys or raise --kv-max-bytes");
    }
  }

  /** What the entries count against the cap now. */
  long bytes() {
    return bytes.get();
  }
}
