package dev.stratus.runner.lambda.worker;

import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;

/**
 * Where a task attempt writes its objects, fenced by the task's descriptor: the descriptor exists while the task is
 * open, and the driver deletes it when it commits an attempt of the task or when the job ends. An attempt that finds
 * it gone after a write is late (the driver gave up on it and committed another, or the job is over): it takes the
 * write back and stops. Checking after the write leaves no gap: the driver deletes the descriptor before it sweeps
 * the uncommitted attempts' objects, so a write lands either before the sweep, which deletes it, or after the
 * descriptor is gone, which the check sees.
 */
final class AttemptOutput {
  private final ObjectStore store;
  private final S3Path descriptor;

  AttemptOutput(ObjectStore store, S3Path descriptor) {
    this.store = store;
    this.descriptor = descriptor;
  }

  void put(S3Path path, byte[] data) {
    store.put(path, data);
    if (!store.exists(descriptor)) {
      store.delete(path);
      throw new LateAttemptException(
          "task " + descriptor + " was committed by another attempt or its job has ended: this late attempt's "
              + path + " was withdrawn");
    }
  }

  /** The attempt outlived the task: its output must not remain. */
  static final class LateAttemptException extends IllegalStateException {
    LateAttemptException(String message) {
      super(message);
    }
  }
}
