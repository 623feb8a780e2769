package dev.stratus.store;

/**
 * A failure of the object store, phrased for the person who runs the job: it names the endpoint, bucket and key
 * involved and what to do, instead of surfacing the SDK's stack trace.
 */
public class StoreException extends RuntimeException {
  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The object or bucket named in the message does not exist. */
  public static final class NotFound extends StoreException {
    public NotFound(String message) {
      super(message);
    }
  }
}
