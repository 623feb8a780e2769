package dev.stratus.ps;

/** A frame that breaks the wire format: the peer is not speaking our protocol, so its connection is closed. */
final class MalformedFrameException extends Exception {
  MalformedFrameException(String message) {
    super(message, null, false, false);
  }
}
