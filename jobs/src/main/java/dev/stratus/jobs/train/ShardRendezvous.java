package dev.stratus.jobs.train;

import dev.stratus.ps.ShardAddress;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreException;
import dev.stratus.store.StoreSpec;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.function.BooleanSupplier;

/**
 * Where shards starting in the background tell workers launched before they listened where to find them: an object
 * in the job's checkpoint folder, named afresh for each start (a resumed job's folder may hold a dead driver's), that
 * says {@code listening} and the addresses, or {@code failed} and why. Workers read their data meanwhile and look
 * for it once they need the shards. It holds no secret: the workers' tasks carry that. Nothing is written unless its
 * location was {@linkplain #handOut handed out}: most trainings launch their workers once the shards listen.
 */
final class ShardRendezvous {
  /** How long a worker looks for the addresses: longer than shard processes may take to start. */
  static final long WAIT_MILLIS = 120_000;
  private static final String LISTENING = "listening ";
  private static final String FAILED = "failed ";
  private static final long FIRST_LOOK_MILLIS = 5;
  /** Looks cost a GET each (S3 bills them by the million): a worker ready early looks 50 times a second. */
  private static final long MOST_BETWEEN_LOOKS_MILLIS = 20;

  private final S3Path location;
  private final StoreSpec spec;
  private final ThreadFactory threads;
  /**
   * The store's client, made once the location is first handed out, while the shards start: off the path from their
   * listening to the workers finding them. Null until then.
   */
  private CompletableFuture<ObjectStore> store;
  /** The text to publish once the shards' start ended; null until then. Guarded by this, as {@link #store} is. */
  private String published;

  private ShardRendezvous(S3Path location, StoreSpec spec, ThreadFactory threads) {
    this.location = location;
    this.spec = spec;
    this.threads = threads;
  }

  /**
   * A rendezvous of its own in {@code checkpoint}, which {@code store} (as every process reaches it) holds; its client
   * made on a thread of {@code threads}.
   */
  static ShardRendezvous in(S3Path checkpoint, StoreSpec store, ThreadFactory threads) {
    String name = "shard-addresses-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(8));
    return new ShardRendezvous(checkpoint.resolve(name), store, threads);
  }

  /**
   * The location, for a worker launched now: from the first call on, the shards' start is published there, at once if
   * it has ended already.
   */
  synchronized S3Path handOut() {
    if (store == null) {
      store = CompletableFuture.supplyAsync(() -> ObjectStore.of(spec), task -> threads.newThread(task).start());
      if (published != null) {
        write();
      }
    }
    return location;
  }

  /**
   * The shards' start ended: they listen at {@code addresses}, or, when {@code failure} is not null, could not start.
   * Published if the location was handed out, else kept for when it is.
   */
  synchronized void started(List<InetSocketAddress> addresses, RuntimeException failure) {
    String text;
    if (failure != null) {
      text = FAILED + String.valueOf(failure.getMessage()).replace('\n', ' ');
    } else {
      List<String> formatted = new ArrayList<>();
      addresses.forEach(a -> formatted.add(ShardAddress.format(a)));
      text = LISTENING + String.join(",", formatted);
    }
    published = text;
    if (store != null) {
      write();
    }
  }

  private void write() {
    store.join().put(location, published.getBytes(StandardCharsets.UTF_8));
  }

  /** Removes the published object, if the location was handed out: the shards are stopping. */
  synchronized void remove() {
    if (store != null) {
      store.join().delete(location);
    }
  }

  /**
   * The addresses published at {@code location}, looked for again and again (soon after the first look, then every
   * {@value #MOST_BETWEEN_LOOKS_MILLIS} ms at most) until they are there; null if {@code stop} says so first.
   *
   * @throws IllegalStateException when the shards could not start, or said nothing for {@link #WAIT_MILLIS}
   */
  static List<InetSocketAddress> await(ObjectStore objects, S3Path location, BooleanSupplier stop)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000;
    long pause = FIRST_LOOK_MILLIS;
    while (!stop.getAsBoolean()) {
      String text;
      try {
        text = new String(objects.get(location), StandardCharsets.UTF_8);
      } catch (StoreException.NotFound e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the training's shards did not say where they listen at " + location
              + " within " + WAIT_MILLIS / 1000 + " s");
        }
        Thread.sleep(pause);
        pause = Math.min(MOST_BETWEEN_LOOKS_MILLIS, pause * 2);
        continue;
      }
      if (text.startsWith(FAILED)) {
        throw new IllegalStateException("the training's shards could not start: " + text.substring(FAILED.length()));
      }
      if (!text.startsWith(LISTENING)) {
        throw new IllegalStateException("unreadable shard addresses at " + location + ": '" + text + "'");
      }
      List<InetSocketAddress> addresses = new ArrayList<>();
      for (String address : text.substring(LISTENING.length()).split(",")) {
        addresses.add(ShardAddress.parse(address));
      }
      return addresses;
    }
    return null;
  }
}
