package dev.stratus.benchmarks.paper;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stratus.kernels.iterate.MinibatchIterator;
import dev.stratus.kernels.sgd.LinearGradient;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.Minibatch;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/**
 * The Lambda function of Figure 5's PyWren-style variants: pull the model values of a minibatch, compute the
 * gradient with the product's kernel, push it. A PyWren-style invocation runs one iteration; a reused worker loops,
 * either waiting for each model version (synchronous) or not (asynchronous, with the product's prefetching
 * minibatch iterator), until its deadline or until the driver says stop. Answers {"iterations": n}.
 */
public final class ExchangeWorker implements RequestStreamHandler {
  static final String HANDLER = ExchangeWorker.class.getName() + "::handleRequest";
  static final ObjectMapper JSON = new ObjectMapper();
  private static final int PREFETCH_CHUNKS = 8;

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
    WorkerCall call = JSON.readValue(input, WorkerCall.class);
    try {
      output.write(JSON.writeValueAsBytes(Map.of("iterations", run(call))));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("worker " + call.worker() + " of " + call.variant() + " interrupted", e);
    }
  }

  static long run(WorkerCall call) throws IOException, InterruptedException {
    ObjectStore store = ObjectStore.of(StoreSpec.fromWorkerFields(call.store(), "the figure 5 worker call"));
    S3Path chunks = S3Path.parse(call.chunkRoot());
    int biasKey = call.features();
    try (Exchange exchange = Exchange.open(call.variant().transport, store, S3Path.parse(call.runRoot()),
        call.redis(), call.features() + 1)) {
      Minibatch batch = new Minibatch();
      if (!call.variant().reusesWorkers) {
        new Chunks.Synchronous(store, chunks, call.ownChunks(), call.minibatch(), biasKey, call.iteration())
            .next(batch);
        step(exchange, call.worker(), call.iteration(), batch);
        return 1;
      }
      if (!call.variant().asynchronous) {
        Chunks.Synchronous batches =
            new Chunks.Synchronous(store, chunks, call.ownChunks(), call.minibatch(), biasKey, 0);
        for (long v = 0; ; v++) {
          if (!awaitVersion(exchange, v, call.deadlineEpochMillis())) {
            return v;
          }
          batches.next(batch);
          step(exchange, call.worker(), v, batch);
        }
      }
      try (MinibatchIterator batches = MinibatchIterator.over(k -> Chunks.read(store, chunks, k), call.ownChunks())
          .batchSize(call.minibatch())
          .biasKey(biasKey)
          .epochs(0)
          .seed(call.worker())
          .prefetchDepth(PREFETCH_CHUNKS)
          .build()) {
        long seq = 0;
        while (System.currentTimeMillis() < call.deadlineEpochMillis()
            && (seq % 64 != 0 || exchange.version() >= 0)) {
          if (exchange.backlogged(call.worker(), seq)) {
            Thread.sleep(1);
            continue;
          }
          batches.next(batch);
          step(exchange, call.worker(), seq++, batch);
        }
        return seq;
      }
    }
  }

  /** Waits until version {@code v} is published; false if the driver stopped or the deadline passed. */
  private static boolean awaitVersion(Exchange exchange, long v, long deadline) throws IOException,
      InterruptedException {
    while (System.currentTimeMillis() < deadline) {
      long published = exchange.version();
      if (published < 0) {
        return false;
      }
      if (published >= v) {
        return true;
      }
      Thread.sleep(1);
    }
    return false;
  }

  private static void step(Exchange exchange, int worker, long seq, Minibatch batch) throws IOException {
    int count = batch.keyCount();
    int[] keys = batch.keyBuffer();
    float[] weights = exchange.pull(keys, count);
    float[] gradient = new float[count];
    LinearGradient.compute(LinearLoss.LOGISTIC, batch, weights, gradient);
    exchange.push(worker, seq, keys, gradient, count);
  }
}
