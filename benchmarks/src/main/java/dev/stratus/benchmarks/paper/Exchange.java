package dev.stratus.benchmarks.paper;

import dev.stratus.benchmarks.ps.RespClient;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.roaringbitmap.RoaringBitmap;

/**
 * How the workers of a PyWren-style variant and the driver, which applies their gradients, share the model. The
 * worker side pulls the values of a minibatch's keys and pushes gradients; the driver side takes each worker's
 * gradients in order and publishes new model versions. Version -1 tells workers to stop.
 */
interface Exchange extends AutoCloseable {
  /** The latest published model's values of {@code keys[0, count)}. */
  float[] pull(int[] keys, int count) throws IOException;

  /** Sends worker {@code worker}'s gradient number {@code seq} over {@code keys[0, count)}. */
  void push(int worker, long seq, int[] keys, float[] gradient, int count) throws IOException;

  /**
   * Whether worker {@code worker}, having pushed {@code pushed} gradients, has {@link #MAX_IN_FLIGHT} of them not
   * yet taken by the driver: an asynchronous worker then waits, as ours does for its pushes in flight.
   */
  boolean backlogged(int worker, long pushed) throws IOException;

  /**
   * Tells asynchronous workers that the driver has taken {@code taken} of worker {@code worker}'s gradients, where
   * {@link #backlogged} needs to be told; synchronous workers wait for model versions instead.
   */
  default void recordTaken(int worker, long taken) throws IOException {}

  /** Gradients a worker may have sent that the driver has not applied yet: the product's default. */
  int MAX_IN_FLIGHT = 4;

  /** The version last published; -1 once the driver stopped. */
  long version() throws IOException;

  /** Worker {@code worker}'s gradient number {@code seq}, or null if it has not arrived yet. */
  SparseGradient take(int worker, long seq) throws IOException;

  /** Publishes {@code weights} as version {@code version}; {@code touched}: the keys changed since the last one. */
  void publish(float[] weights, long version, RoaringBitmap touched) throws IOException;

  /** Tells the workers to stop. */
  void stop() throws IOException;

  @Override
  void close() throws IOException;

  static Exchange open(Variant.Transport transport, ObjectStore store, S3Path root, InetSocketAddress redis,
      int modelSize) throws IOException {
    return switch (transport) {
      case STORE -> new StoreExchange(store, root, modelSize);
      case REDIS_DENSE -> new RedisExchange(redis, false, modelSize);
      case REDIS_SPARSE -> new RedisExchange(redis, true, modelSize);
    };
  }

  static byte[] denseBytes(int size, int[] keys, float[] values, int count) {
    ByteBuffer bytes = ByteBuffer.allocate(4 * size).order(ByteOrder.LITTLE_ENDIAN);
    FloatBuffer floats = bytes.asFloatBuffer();
    for (int i = 0; i < count; i++) {
      floats.put(keys[i], floats.get(keys[i]) + values[i]);
    }
    return bytes.array();
  }

  static byte[] denseBytes(float[] weights) {
    ByteBuffer bytes = ByteBuffer.allocate(4 * weights.length).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(weights);
    return bytes.array();
  }

  static FloatBuffer floats(byte[] bytes) {
    return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
  }

  static float[] gather(FloatBuffer model, int[] keys, int count) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = model.get(keys[i]);
    }
    return values;
  }

  /** The whole model and every gradient as dense objects in the store, as a PyWren program would keep them. */
  final class StoreExchange implements Exchange {
    private final ObjectStore store;
    private final S3Path root;
    private final int size;

    StoreExchange(ObjectStore store, S3Path root, int size) {
      this.store = store;
      this.root = root;
      this.size = size;
    }

    @Override
    public float[] pull(int[] keys, int count) {
      return gather(floats(store.get(root.resolve("model"))), keys, count);
    }

    @Override
    public void push(int worker, long seq, int[] keys, float[] gradient, int count) {
      store.put(gradientPath(worker, seq), denseBytes(size, keys, gradient, count));
    }

    /**
     * By the count of gradients the driver took, which it records: not by whether an old gradient's object is still
     * there, since a PUT the SDK retried can land again after the driver took and deleted it, and the worker would
     * then wait for good.
     */
    @Override
    public boolean backlogged(int worker, long pushed) {
      if (pushed < MAX_IN_FLIGHT) {
        return false;
      }
      long taken;
      try {
        taken = ByteBuffer.wrap(store.get(takenPath(worker))).getLong();
      } catch (StoreException.NotFound none) {
        taken = 0;
      }
      return pushed - taken >= MAX_IN_FLIGHT;
    }

    @Override
    public void recordTaken(int worker, long taken) {
      store.put(takenPath(worker), ByteBuffer.allocate(8).putLong(taken).array());
    }

    private S3Path takenPath(int worker) {
      return root.resolve("taken/" + worker);
    }

    private S3Path gradientPath(int worker, long seq) {
      return root.resolve("gradients/" + worker + "/" + seq);
    }

    @Override
    public long version() {
      return ByteBuffer.wrap(store.get(root.resolve("version"))).getLong();
    }

    @Override
    public SparseGradient take(int worker, long seq) {
      S3Path path = gradientPath(worker, seq);
      byte[] dense;
      try {
        dense = store.get(path);
      } catch (StoreException.NotFound notYet) {
        return null;
      }
      store.delete(path);
      return SparseGradient.ofDense(floats(dense));
    }

    @Override
    public void publish(float[] weights, long version, RoaringBitmap touched) {
      store.put(root.resolve("model"), denseBytes(weights));
      setVersion(version);
    }

    private void setVersion(long version) {
      store.put(root.resolve("version"), ByteBuffer.allocate(8).putLong(version).array());
    }

    @Override
    public void stop() {
      setVersion(-1);
    }

    @Override
    public void close() {}
  }

  /**
   * The model in Redis, either as one dense value (GET/SET) or as one key per weight (MGET/MSET of the touched
   * keys); each worker's gradients queue in a list of its own, dense or as (keys, values).
   */
  final class RedisExchange implements Exchange {
    private static final int MSET_PAIRS = 8192;
    private final RespClient redis;
    private final boolean sparse;
    private final int size;

    RedisExchange(InetSocketAddress server, boolean sparse, int size) throws IOException {
      this.redis = new RespClient(server);
      this.sparse = sparse;
      this.size = size;
    }

    private static String weightKey(int key) {
      return "w" + key;
    }

    @Override
    public float[] pull(int[] keys, int count) throws IOException {
      if (!sparse) {
        byte[] model = (byte[]) redis.call("GET", "model");
        return gather(floats(model), keys, count);
      }
      Object[] command = new Object[count + 1];
      command[0] = "MGET";
      for (int i = 0; i < count; i++) {
        command[i + 1] = weightKey(keys[i]);
      }
      List<?> reply = (List<?>) redis.call(command);
      float[] values = new float[count];
      for (int i = 0; i < count; i++) {
        byte[] value = (byte[]) reply.get(i);
        values[i] = value == null ? 0f : floats(value).get(0);
      }
      return values;
    }

    @Override
    public void push(int worker, long seq, int[] keys, float[] gradient, int count) throws IOException {
      byte[] message;
      if (sparse) {
        ByteBuffer bytes = ByteBuffer.allocate(8 * count).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
          bytes.putInt(keys[i]).putFloat(gradient[i]);
        }
        message = bytes.array();
      } else {
        message = denseBytes(size, keys, gradient, count);
      }
      redis.call("RPUSH", "gradients:" + worker, message);
    }

    @Override
    public boolean backlogged(int worker, long pushed) throws IOException {
      return (Long) redis.call("LLEN", "gradients:" + worker) >= MAX_IN_FLIGHT;
    }

    @Override
    public long version() throws IOException {
      byte[] version = (byte[]) redis.call("GET", "version");
      return version == null ? 0 : Long.parseLong(new String(version, StandardCharsets.US_ASCII));
    }

    @Override
    public SparseGradient take(int worker, long seq) throws IOException {
      byte[] message = (byte[]) redis.call("LPOP", "gradients:" + worker);
      if (message == null) {
        return null;
      }
      if (!sparse) {
        return SparseGradient.ofDense(floats(message));
      }
      ByteBuffer bytes = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
      int n = message.length / 8;
      int[] keys = new int[n];
      float[] values = new float[n];
      for (int i = 0; i < n; i++) {
        keys[i] = bytes.getInt();
        values[i] = bytes.getFloat();
      }
      return new SparseGradient(keys, values);
    }

    @Override
    public void publish(float[] weights, long version, RoaringBitmap touched) throws IOException {
      if (!sparse) {
        redis.call("SET", "model", denseBytes(weights));
      } else {
        List<Object> command = new ArrayList<>();
        for (int key : touched) {
          command.add(weightKey(key));
          command.add(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(weights[key]).array());
          if (command.size() == 2 * MSET_PAIRS) {
            mset(command);
          }
        }
        mset(command);
      }
      redis.call("SET", "version", Long.toString(version));
    }

    private void mset(List<Object> pairs) throws IOException {
      if (!pairs.isEmpty()) {
        pairs.add(0, "MSET");
        redis.call(pairs.toArray());
        pairs.clear();
      }
    }

    @Override
    public void stop() throws IOException {
      redis.call("SET", "version", "-1");
    }

    @Override
    public void close() throws IOException {
      redis.close();
    }
  }
}
