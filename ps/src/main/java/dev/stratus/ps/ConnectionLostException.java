package dev.stratus.ps;

/**
 * A call that failed because its connection to the shard was lost (the shard died or restarts, the network broke):
 * the client's next call to that shard redials it, so redoing the call may succeed.
 */
public final class ConnectionLostException extends PsException {
  public ConnectionLostException(String message, Throwable cause) {
    super(message, cause);
  }
}
