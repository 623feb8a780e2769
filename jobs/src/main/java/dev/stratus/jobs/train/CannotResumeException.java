package dev.stratus.jobs.train;

/**
 * A training asked to continue from snapshots that cannot: no checkpoint location, no resume point, a resume point
 * for another number of workers, or snapshots that restored no progress. The message says which, and where.
 */
public final class CannotResumeException extends IllegalArgumentException {
  CannotResumeException(String message) {
    super(message);
  }
}
