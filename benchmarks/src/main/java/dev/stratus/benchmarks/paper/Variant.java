package dev.stratus.benchmarks.paper;

/**
 * The paper's Figure 5 steps from a general serverless system towards a specialised one, each adding one thing to
 * the one before. All run the same SGD (the product's gradient kernel and AdaGrad rule); only how the model and the
 * gradients travel differs.
 */
enum Variant {
  PYWREN("(0) PyWren-style", "a fresh invocation per iteration, model and gradients as objects in the store",
      Transport.STORE, false, false),
  REUSE("(1) + reused workers", "one long invocation per worker looping over iterations", Transport.STORE, true,
      false),
  ASYNC("(2) + prefetching, async SGD", "minibatches fetched ahead, workers never wait for each other",
      Transport.STORE, true, true),
  REDIS("(3) + Redis", "model and gradients through a Redis on loopback instead of the store",
      Transport.REDIS_DENSE, true, true),
  SPARSE("(4) + sparse multi-get", "only the rows a minibatch touches: MGET of the model, sparse gradients",
      Transport.REDIS_SPARSE, true, true);

  /** How model and gradients travel between the workers and the process that applies the updates. */
  enum Transport {
    STORE,
    REDIS_DENSE,
    REDIS_SPARSE
  }

  final String label;
  final String description;
  final Transport transport;
  /** One invocation per worker for the whole run, rather than one per iteration. */
  final boolean reusesWorkers;
  /** Workers prefetch minibatches and push gradients without waiting for the next model version. */
  final boolean asynchronous;

  Variant(String label, String description, Transport transport, boolean reusesWorkers, boolean asynchronous) {
    this.label = label;
    this.description = description;
    this.transport = transport;
    this.reusesWorkers = reusesWorkers;
    this.asynchronous = asynchronous;
  }

  boolean needsRedis() {
    return transport != Transport.STORE;
  }
}
