package dev.stratus.lambda.local;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/** One invocation on its way through an environment: picked up by the runtime, then answered or failed. */
final class PendingCall {
  final String requestId = UUID.randomUUID().toString();
  final byte[] payload;
  final String functionArn;
  /** Completed when the runtime takes the invocation: the end of a cold start's init, the start of the timeout. */
  final CompletableFuture<Void> pickedUp = new CompletableFuture<>();
  final CompletableFuture<CallOutcome> outcome = new CompletableFuture<>();
  private volatile long deadlineEpochMillis;
  private volatile long pickedUpNanos;

  PendingCall(byte[] payload, String functionArn) {
    this.payload = payload;
    this.functionArn = functionArn;
  }

  void markPickedUp(int timeoutSeconds) {
    pickedUpNanos = System.nanoTime();
    deadlineEpochMillis = System.currentTimeMillis() + timeoutSeconds * 1000L;
    pickedUp.complete(null);
  }

  long deadlineEpochMillis() {
    return deadlineEpochMillis;
  }

  long pickedUpNanos() {
    return pickedUpNanos;
  }
}
