package dev.stratus.jobs.train;

import dev.stratus.kernels.iterate.MinibatchIterator.Position;
import java.io.Serializable;

/**
 * One generation of one worker: where it started and ended in its data, how it ended, and when, in seconds since the
 * job started, as the driver saw it.
 *
 * @param workSeconds the time the worker itself reports between connecting and returning (launch overhead, such as a
 *     cold start, is {@code endedAt - launchedAt - workSeconds}); 0 when it died without reporting
 * @param memoryMb the memory it was launched with
 * @param error the failure of a generation that {@link Ending#DIED}, else null
 */
public record GenerationRecord(
    int worker,
    int generation,
    Position start,
    Position end,
    Ending ending,
    double launchedAt,
    double endedAt,
    double workSeconds,
    int memoryMb,
    String error)
    implements Serializable {

  /** How a generation ended. */
  public enum Ending {
    /** It reached its lifetime and returned its position; a successor went on from there. */
    HANDED_OVER,
    /** Its data ran out (its epochs are done). */
    DATA_ENDED,
    /** The job stopped it. */
    STOPPED,
    /** It failed or its environment died; a successor went on from its last recorded position. */
    DIED
  }
}
