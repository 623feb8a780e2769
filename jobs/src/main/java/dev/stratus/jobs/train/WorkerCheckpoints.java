package dev.stratus.jobs.train;

import dev.stratus.kernels.iterate.MinibatchIterator.Position;
import dev.stratus.ps.client.PsClient;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the driver and a job's workers talk through the parameter server's key-value store, which outlives any worker:
 * each worker records its position there a few times a second (so a successor of a dead worker resumes close to where
 * it died), and the driver asks every worker to stop by setting one key, or those from a worker id on (workers it
 * took away, {@link SgdScaling}) by setting another. Keys start with the model's name, so jobs sharing shards stay
 * apart.
 */
public final class WorkerCheckpoints {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerCheckpoints.class);
  /** How often a worker records its position and looks for the stop request. */
  static final long RECORD_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  private WorkerCheckpoints() {}

  static String positionKey(String model, int worker) {
    return model + "/worker/" + worker + "/position";
  }

  static String stopKey(String model) {
    return model + "/stop";
  }

  /** The key whose value, a worker id, asks the workers from that id on to stop. */
  static String stopFromKey(String model) {
    return model + "/stop-from";
  }

  static byte[] encodeStopFrom(int worker) {
    return ByteBuffer.allocate(4).putInt(worker).array();
  }

  /**
   * What a generation logs at DEBUG, once, when the server holds the first position it recorded past its start: from
   * then on a successor resumes past where this generation started, even if it dies. Fault-injection tests wait for
   * it; at INFO it would be a line per generation in every job's console.
   */
  public static String pastStartLine(int worker, int generation) {
    return "worker " + worker + " generation " + generation + " recorded a position past its start";
  }

  /** A position as recorded by generation {@code generation}. */
  record Recorded(int generation, Position position) {}

  static byte[] encode(int generation, Position position) {
    return ByteBuffer.allocate(16)
        .putInt(generation)
        .putInt(position.epoch())
        .putInt(position.step())
        .putInt(position.row())
        .array();
  }

  /** The record's content, or null when there is none. */
  static Recorded decode(byte[] bytes) {
    if (bytes == null || bytes.length != 16) {
      return null;
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    return new Recorded(in.getInt(), new Position(in.getInt(), in.getInt(), in.getInt()));
  }

  /**
   * A worker's side: called between iterations, records the position at most every {@link #RECORD_EVERY_NANOS} and
   * says whether the driver asked to stop (as of the last answer). Never waits on the server, and reads the position
   * only when it records it: between two records an iteration costs a clock read.
   */
  static final class Reporter {
    private final PsClient ps;
    private final String positionKey;
    private final List<String> stopKeys;
    private final int worker;
    private final int generation;
    private final Position start;
    private long nextRecord;
    private boolean pastStartLogged;
    private volatile boolean stopRequested;

    Reporter(PsClient ps, String model, int worker, int generation, Position start) {
      this.ps = ps;
      this.positionKey = positionKey(model, worker);
      this.stopKeys = List.of(stopKey(model), stopFromKey(model));
      this.worker = worker;
      this.generation = generation;
      this.start = start;
    }

    boolean tick(Supplier<Position> position) {
      long now = System.nanoTime();
      if (now >= nextRecord) {
        nextRecord = now + RECORD_EVERY_NANOS;
        Position current = position.get();
        CompletableFuture<Void> recorded = ps.put(positionKey, encode(generation, current));
        if (!pastStartLogged && current.compareTo(start) > 0) {
          pastStartLogged = true;
          recorded.thenRun(() -> LOG.debug("{}: {}", pastStartLine(worker, generation), current));
        }
        ps.multiGet(stopKeys).thenAccept(values -> stopRequested |= values.get(0) != null
            || values.get(1) != null && worker >= ByteBuffer.wrap(values.get(1)).getInt());
      }
      return stopRequested;
    }

    /** Records the final position and waits until the server has it. */
    void finish(Position position) throws Exception {
      ps.put(positionKey, encode(generation, position)).get(30, TimeUnit.SECONDS);
    }
  }
}
