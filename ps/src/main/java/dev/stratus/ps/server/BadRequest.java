package dev.stratus.ps.server;

/** A request the shard cannot honour: it gets an error reply with this message, and its connection stays open. */
final class BadRequest extends RuntimeException {
  BadRequest(String message) {
    super(message, null, false, false);
  }
}
