package dev.stratus.benchmarks.paper;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * One invocation of the Figure 5 worker function, as its JSON payload.
 *
 * @param store the store's worker fields ({@link dev.stratus.store.StoreSpec#workerFields()})
 * @param runRoot where this run's model and gradients live in the store
 * @param chunkRoot where the training rows are, as numbered chunks of {@link Chunks#ROWS} rows
 * @param redis where the worker reaches Redis, which variants (3) and (4) use; null when none runs
 * @param iteration the one iteration to run (a PyWren-style invocation); ignored by a long-running worker
 * @param deadlineEpochMillis when a long-running worker returns at the latest
 */
record WorkerCall(
    Variant variant,
    int worker,
    int workers,
    Map<String, String> store,
    String runRoot,
    String chunkRoot,
    int chunks,
    int features,
    int minibatch,
    InetSocketAddress redis,
    long iteration,
    long deadlineEpochMillis) {

  /** This worker's chunks: every {@code workers}-th, from its own number. */
  int[] ownChunks() {
    return Chunks.interleaved(chunks, worker, workers);
  }
}
