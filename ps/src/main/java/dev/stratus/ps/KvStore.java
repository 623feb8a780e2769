package dev.stratus.ps;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A shard's key-value map for intermediate data and message passing. Values are opaque bytes; {@link #add} treats a
 * value as a little-endian float vector and adds to it atomically (a reduce across workers).
 *
 * <p>The total size of the values is capped so that no client can exhaust the shard's heap.
 */
final class KvStore {
  private static final VarHandle FLOAT =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

  private final ConcurrentHashMap<String, byte[]> values = new ConcurrentHashMap<>();
  private final AtomicLong bytes = new AtomicLong();
  private final long maxBytes;

  KvStore(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  void put(String key, byte[] value) {
    reserve(value.length);
    byte[] old = values.put(key, value);
    if (old != null) {
      bytes.addAndGet(-old.length);
    }
  }

  byte[] get(String key) {
    return values.get(key);
  }

  boolean delete(String key) {
    byte[] old = values.remove(key);
    if (old != null) {
      bytes.addAndGet(-old.length);
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
            reserve(delta.length * 4L);
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
    return sum;
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
    if (bytes.addAndGet(n) > maxBytes) {
      bytes.addAndGet(-n);
      throw new IllegalArgumentException(
          "the key-value store of this shard is full (" + maxBytes + " bytes); delete keys or raise --kv-max-bytes");
    }
  }
}
