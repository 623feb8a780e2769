package dev.stratus.ps.wire;

/** A frame that breaks the wire format: the peer is not speaking our protocol, so its connection is closed. */
public final class MalformedFrameException extends Exception {
  public MalformedFrameException(String message) {
    super(message, null, false, false);
  }
}
