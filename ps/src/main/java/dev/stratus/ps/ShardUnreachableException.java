package dev.stratus.ps;

/**
 * A shard the client lost and could not reach again within its reconnect bound: unlike a
 * {@link ConnectionLostException}, redoing the call does not help.
 */
public final class ShardUnreachableException extends PsException {
  public ShardUnreachableException(String message, Throwable cause) {
    super(message, cause);
  }
}
