package dev.stratus.runner.lambda.scheduler;

import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tasks whose attempts may still write, each by its descriptor, with the output prefixes of the attempts invoked
 * for it. Closing a task makes the driver's decision final for late attempts: the descriptor is deleted first (a
 * worker checks it after every write and withdraws the write when it is gone), then every attempt's output except
 * the committed one. A task is closed when an attempt of it is committed, and every task still open when the job
 * ends, so no attempt the driver gave up on leaves output behind, even one still running.
 */
final class OpenTasks {
  private final ObjectStore store;
  private final Map<S3Path, List<S3Path>> attempts = new LinkedHashMap<>();

  OpenTasks(ObjectStore store) {
    this.store = store;
  }

  /** Records an attempt about to be invoked for the task of {@code descriptor}. */
  synchronized void attempting(S3Path descriptor, S3Path attemptPrefix) {
    attempts.computeIfAbsent(descriptor, d -> new ArrayList<>()).add(attemptPrefix);
  }

  /** Closes the task of {@code descriptor}, keeping only {@code committed}'s output. */
  void commit(S3Path descriptor, S3Path committed) {
    List<S3Path> tried;
    synchronized (this) {
      tried = attempts.remove(descriptor);
    }
    close(descriptor, tried == null ? List.of() : tried, committed);
  }

  /** Closes every task still open, keeping none of their output: the job is over. */
  void closeAll() {
    Map<S3Path, List<S3Path>> open;
    synchronized (this) {
      open = new LinkedHashMap<>(attempts);
      attempts.clear();
    }
    open.forEach((descriptor, tried) -> close(descriptor, tried, null));
  }

  private void close(S3Path descriptor, List<S3Path> tried, S3Path kept) {
    store.delete(descriptor);
    for (S3Path attempt : tried) {
      if (!attempt.equals(kept)) {
        store.deleteAll(attempt);
      }
    }
  }
}
