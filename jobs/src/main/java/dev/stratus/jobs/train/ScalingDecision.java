package dev.stratus.jobs.train;

import java.io.Serializable;
import java.util.Locale;

/**
 * A change of a training's worker or shard count or its workers' memory the driver made on its own ({@link
 * WorkerScaling}, {@link WorkerMemory}), or the count or memory it settled at, and why.
 *
 * @param atSeconds when, from the training's start
 * @param updates the training's count of updates (its passes, for L-BFGS) then
 * @param resource what was counted
 * @param from the workers summing before, or the shards the rounds were on, or the memory before
 * @param to the workers the driver decided on (equal to {@code from} when it settled there): started to stand by
 *     until they have read their partitions, or taken away; or the shards the rounds after are on; or the memory
 *     the next generations launch with
 */
public record ScalingDecision(double atSeconds, long updates, Resource resource, int from, int to, String reason)
    implements Serializable {
  /** What a decision counts. */
  public enum Resource {
    WORKERS,
    SHARDS,
    /** The memory of the workers' generations, in MB. */
    MEMORY
  }

  /**
   * The start of a decision's reason where the Lambda service refused the calls of {@code refused} of {@code of}
   * workers: the one wording of SGD's and L-BFGS's.
   */
  static String refused(int refused, int of) {
    return String.format(Locale.ROOT, "the Lambda service refused the calls of %d of the %d workers (its concurrency"
        + " used up)", refused, of);
  }

  /** The console's line for it. */
  public String describe() {
    if (resource == Resource.MEMORY) {
      return from == to
          ? String.format(Locale.ROOT, "%6.1f s  worker memory %d MB: %s", atSeconds, to, reason)
          : String.format(Locale.ROOT, "%6.1f s  worker memory %d -> %d MB: %s", atSeconds, from, to, reason);
    }
    if (resource == Resource.SHARDS) {
      return to > from
          ? String.format(Locale.ROOT, "%6.1f s  starting shards to go from %d to %d: %s", atSeconds, from, to, reason)
          : String.format(Locale.ROOT, "%6.1f s  shards %d -> %d: %s", atSeconds, from, to, reason);
    }
    return from == to
        ? String.format(Locale.ROOT, "%6.1f s  workers settle at %d: %s", atSeconds, to, reason)
        : to > from
            ? String.format(Locale.ROOT, "%6.1f s  starting workers to go from %d to %d: %s", atSeconds, from, to,
                reason)
            : String.format(Locale.ROOT, "%6.1f s  workers %d -> %d: %s", atSeconds, from, to, reason);
  }
}
