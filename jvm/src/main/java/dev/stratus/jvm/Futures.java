package dev.stratus.jvm;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting on work handed to another thread as if it had run on this one. */
public final class Futures {
  private Futures() {}

  /** {@code future}'s value once done; what its task threw, thrown as it was (an Error wrapped, as the JDK does). */
  public static <T> T result(Future<T> future) throws Exception {
    try {
      return future.get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }
}
