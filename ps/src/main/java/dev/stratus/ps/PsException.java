package dev.stratus.ps;

/** A parameter-server call that failed: the server's error reply, a refused secret, or a lost connection. */
public class PsException extends RuntimeException {
  public PsException(String message) {
    super(message);
  }

  public PsException(String message, Throwable cause) {
    super(message, cause);
  }
}
