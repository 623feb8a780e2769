package dev.stratus.jobs.train;

import dev.stratus.kernels.iterate.MinibatchIterator.Position;
import dev.stratus.ps.client.PsClient;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the driver and a job's workers talk through the parameter server's key-value store, which outlives any worker:
 * each worker records its position there a few times a second (so a successor of a dead worker resumes close to where
 * it died), and the driver asks workers to stop by setting one key to the first worker id that is to stop: 0 for
 * every worker, a higher id for the workers it took away ({@link SgdScaling}). Keys start with the model's name, so
 * jobs sharing shards stay apart.
 */
public final class WorkerCheckpoints {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerCheckpoints.class);
  /** How often a worker records its position and looks for the stop request. */
  static final long RECORD_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  private WorkerCheckpoints() {}

  static String positionKey(String model, int worker) {
    return model + "/worker/" + worker + "/position";
  }

  /** The key whose value ({@link #stopFrom}) asks workers to stop. */
  static String stopKey(String model) {
    return model + "/stop";
  }

  /** The stop key's value that asks the workers from id {@code worker} on to stop; 0 asks every worker. */
  static byte[] stopFrom(int worker) {
    return ByteBuffer.allocate(Integer.BYTES).putInt(worker).array();
  }

  /** Whether the stop key's {@code value} (null when unset) asks worker {@code worker} to stop. */
  static boolean stops(byte[] value, int worker) {
    return value != null && worker >= ByteBuffer.wrap(value).getInt();
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
    private final String stopKey;
    private final int worker;
    private final int generation;
    private final Position start;
    private long nextRecord;
    private boolean pastStartLogged;
    private volatile boolean stopRequested;

    Reporter(PsClient ps, String model, int worker, int generation, Position start) {
      this.ps = ps;
      this.positionKey = positionKey(model, worker);
      this.stopKey = stopKey(model);
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
        ps.get(stopKey).thenAccept(value -> stopRequested |= stops(value, worker));
      }
      return stopRequested;
    }

    /** Records the final position and waits until the server has it. */
    void finish(Position position) throws Exception {
      ps.put(positionKey, encode(generation, position)).get(30, TimeUnit.SECONDS);
    }
  }
}
