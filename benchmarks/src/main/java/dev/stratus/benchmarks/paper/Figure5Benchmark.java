package dev.stratus.benchmarks.paper;

import dev.stratus.benchmarks.CloudRun;
import dev.stratus.benchmarks.Machine;
import dev.stratus.benchmarks.Topology;
import dev.stratus.benchmarks.ps.RedisServer;
import dev.stratus.benchmarks.ps.RespClient;
import dev.stratus.benchmarks.training.BenchmarkData;
import dev.stratus.benchmarks.training.LambdaTraining;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.jvm.ClassPath;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.iterate.MinibatchIterator;
import dev.stratus.kernels.reference.Liblinear;
import dev.stratus.kernels.sgd.LinearGradient;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.Minibatch;
import dev.stratus.lambda.local.FunctionSpec;
import dev.stratus.lambda.local.LocalLambdaService;
import dev.stratus.runner.lambda.message.WorkerFunction;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import dev.stratus.topology.DelayProxy;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.roaringbitmap.RoaringBitmap;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * The paper's Figure 5: held-out logloss over time of asynchronous SGD written on a general serverless system
 * (PyWren-style variants (0) to (4), each one optimisation more) against ours (LambdaRunner's training against
 * parameter-server shards), all as Lambda invocations on the same data, with the same number of workers and the same
 * time budget; plus a Bosen-like reference (the same SGD on threads of one JVM sharing the model in memory). Each
 * {@code --topology} runs every variant and ours: on loopback (the local Lambda service, the embedded store and Redis
 * in this JVM's reach), or in the cloud topology ({@link CloudRun}: the workers run on its Lambda node and read and
 * write through its store node, behind S3's delays; Redis runs beside its shards, behind their datacenter delays;
 * ours trains against its TLS shards). Writes results/figure5.csv, figure5.png and figure5.md.
 *
 * <pre>mvn -q -pl benchmarks exec:java@figure5 [-Dexec.args="--rows 1000000 --seconds 120 --workers 4
 *     --redis /usr/bin/redis-server --topology loopback,cloud"]</pre>
 */
public final class Figure5Benchmark {
  private static final String FUNCTION = "figure5-worker";
  private static final String OURS = "ours (LambdaRunner, parameter server, sparse float32)";
  private static final String BOSEN = "Bosen-like: one JVM, threads, no network";
  /** Rows per gradient, as ours (LogisticRegression's default). */
  private static final int MINIBATCH = 20;
  /** LambdaRunner's task timeout for ours, as LambdaTraining sets it. */
  private static final int OURS_TASK_TIMEOUT_SECONDS = 300;
  /** Ours' parameter-server shards in the cloud: as many as LogisticRegression's default, which loopback runs. */
  private static final int CLOUD_SHARDS = 1;

  private final BenchmarkData data;
  private final SparseRow[] heldOut;
  private final S3Path chunkRoot;
  private final int chunks;
  private final int workers;
  private final int seconds;
  private final int modelSize;
  private final ExecutorService invocations = Executors.newCachedThreadPool();

  private Figure5Benchmark(BenchmarkData data, int workers, int seconds) {
    this.data = data;
    this.heldOut = DatasetReader.readAll(data.store, data.test).toArray(SparseRow[]::new);
    this.workers = workers;
    this.seconds = seconds;
    this.modelSize = (int) data.train.featureCount() + 1;
    this.chunkRoot = S3Path.parse(data.train.location() + "-chunks-" + Chunks.ROWS);
    this.chunks = Chunks.write(data.store, data.train, chunkRoot);
  }

  /** A variant's curve and how many gradients reached the model. */
  private record Run(List<DriverModel.Point> curve, long gradients) {}

  /**
   * Where one topology's variants run: the Lambda service that runs the workers, the store the workers and the
   * driver exchange through (the driver's client, and its fields as the workers reach it), Redis's address for
   * variants (3) and (4), the driver's and the workers' alike (null when there is none), and how ours trains there.
   */
  private record Deployment(Topology topology, LambdaClient lambda, ObjectStore store,
      Map<String, String> workerStoreFields, InetSocketAddress redis, Supplier<TrainResult> ours) {}

  public static void main(String[] args) throws Exception {
    long rows = 1_000_000; // a million rows at least, for the comparison to mean something at 2^19 features
    int seconds = 60;
    int workers = 2;
    String redisBinary = "/usr/bin/redis-server";
    List<Topology> topologies = List.of(Topology.LOOPBACK);
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Long.parseLong(args[i + 1]);
        case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
        case "--workers" -> workers = Integer.parseInt(args[i + 1]);
        case "--redis" -> redisBinary = args[i + 1];
        case "--topology" -> topologies = Topology.parse(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
            + " (--rows N, --seconds S, --workers W, --redis PATH-TO-redis-server,"
            + " --topology loopback|cloud|loopback,cloud)");
      }
    }
    double loadAtStart = Machine.loadAverage();
    BenchmarkData data = BenchmarkData.prepare(rows);
    Figure5Benchmark benchmark = new Figure5Benchmark(data, workers, seconds);
    Liblinear.Optimum optimum = Liblinear.bestOf(DatasetReader.readAll(data.store, data.train),
        Arrays.asList(benchmark.heldOut), LambdaTraining.LIBLINEAR_C);
    String setting = String.format(Locale.ROOT,
        "%,d training rows, %,d held-out rows (the whole test split, never trained on nor watched by our monitor),"
            + " 2^%d features; %d workers, %d s each;"
            + " topology %s; %d cores, load average %.1f at the start; planted model's held-out logloss %.5f;"
            + " liblinear-train -s 0, best C of %s: C = %s, held-out logloss %.5f",
        data.train.rowCount(), benchmark.heldOut.length, BenchmarkData.MODEL_BITS, workers, seconds,
        topologies.stream().map(Topology::label).collect(Collectors.joining(" then ")),
        Runtime.getRuntime().availableProcessors(), loadAtStart, data.plantedLogloss,
        Arrays.toString(LambdaTraining.LIBLINEAR_C), optimum.c(), optimum.test().loss());
    System.out.println(setting);
    String redis = Files.isExecutable(Path.of(redisBinary)) ? redisBinary : null;
    List<String> notes = new ArrayList<>();
    if (redis == null) {
      notes.add("No redis-server at " + redisBinary + " (apt-get install redis-server, or pass --redis PATH):"
          + " variants (3) and (4) were left out.");
    }
    notes.forEach(System.out::println);
    Map<Topology, Map<String, Run>> runs = new LinkedHashMap<>();
    try {
      for (Topology topology : topologies) {
        runs.put(topology, topology == Topology.CLOUD ? benchmark.inTheCloud(redis) : benchmark.onLoopback(redis));
      }
    } finally {
      benchmark.invocations.shutdownNow();
    }
    int threads = Runtime.getRuntime().availableProcessors();
    Run bosen = benchmark.bosenLike(threads);
    report(null, BOSEN, bosen);

    Path out = BenchmarkData.home().resolve("results");
    Files.createDirectories(out);
    Map<String, List<DriverModel.Point>> curves = new LinkedHashMap<>();
    StringBuilder tables = new StringBuilder();
    for (Map.Entry<Topology, Map<String, Run>> ofTopology : runs.entrySet()) {
      Topology topology = ofTopology.getKey();
      ofTopology.getValue().forEach((name, run) -> curves.put(label(topology, name), run.curve()));
      Map<String, Run> tableRows = new LinkedHashMap<>(ofTopology.getValue());
      tableRows.put(BOSEN, bosen);
      tables.append("**").append(topology.label()).append("**: ").append(where(topology)).append(".\n\n")
          .append(table(tableRows, optimum.test().loss(), seconds)).append('\n');
    }
    curves.put(BOSEN, bosen.curve());
    if (runs.size() > 1) {
      notes.add("The Bosen-like row is one run, with no network, repeated in each table to compare it with that"
          + " topology's ours.");
    }
    Curves.writeCsv(out.resolve("figure5.csv"), "variant", curves);
    Curves.chart(out.resolve("figure5.png"), "Figure 5: held-out logloss over time, the same SGD exchanged six ways",
        curves, Curves.referenceLines(optimum.test().loss(), data.plantedLogloss));
    Report.publish(out.resolve("figure5.md"), setting,
        tables + (notes.isEmpty() ? "" : String.join("\n", notes) + "\n") + "\n![Figure 5](figure5.png)\n",
        out.resolve("figure5.csv"), out.resolve("figure5.png"));
    System.exit(0);
  }

  /** A curve's name in the chart and the CSV: the variant's, after its topology's. */
  private static String label(Topology topology, String name) {
    return topology.label() + ": " + name;
  }

  /** What a topology's table was measured on. */
  private static String where(Topology topology) {
    return switch (topology) {
      case LOOPBACK -> "the local Lambda service, the embedded store and Redis, all on this machine's loopback";
      case CLOUD -> "the cloud topology: the workers on its Lambda node, the store node behind "
          + DelayProxy.Options.s3().describe() + ", " + CLOUD_SHARDS + " TLS shard for ours and Redis beside it in"
          + " the shards' namespace, each behind " + DelayProxy.Options.datacenter().describe();
    };
  }

  /** The variants and ours with the local Lambda service, the embedded store and, from {@code redisBinary}, Redis. */
  private Map<String, Run> onLoopback(String redisBinary) throws Exception {
    try (LocalLambdaService lambda = LocalLambdaService.start();
        LambdaClient client = lambda.clientBuilder().build();
        RedisServer redis = redisBinary == null ? null : new RedisServer(redisBinary)) {
      lambda.registerFunction(FunctionSpec.of(FUNCTION, ExchangeWorker.HANDLER, ClassPath.currentEntries())
          .withMemoryMb(LambdaTraining.WORKER_MEMORY_MB).withTimeoutSeconds(exchangeWorkerTimeoutSeconds()));
      LambdaTraining.registerWorkerFunction(lambda);
      return measure(new Deployment(Topology.LOOPBACK, client, data.store,
          data.store.reachableSpec().workerFields(), redis == null ? null : redis.address,
          () -> LambdaTraining.train(lambda, data, workers, seconds, oursLifetimeSeconds(),
              DriverModel.LEARNING_RATE)));
    }
  }

  /**
   * The variants and ours in the cloud topology, whose store node serves the benchmark's own store directory: the
   * chunks written there are the workers' input, read through S3's delays; Redis, from {@code redisBinary}, runs
   * in the shards' namespace.
   */
  private Map<String, Run> inTheCloud(String redisBinary) throws Exception {
    Map<String, String> functions =
        Map.of(FUNCTION, ExchangeWorker.HANDLER, LambdaTraining.FUNCTION, WorkerFunction.HANDLER);
    try (CloudRun cloud = CloudRun.start(data.store.spec().embeddedDir(), functions, LambdaTraining.WORKER_MEMORY_MB,
            Math.max(OURS_TASK_TIMEOUT_SECONDS, exchangeWorkerTimeoutSeconds()), CLOUD_SHARDS);
        LambdaClient client = cloud.lambdaClient()) {
      StoreSpec store = cloud.store().spec();
      InetSocketAddress redis = redisBinary == null ? null : cloud.startRedis(redisBinary);
      return measure(new Deployment(Topology.CLOUD, client, ObjectStore.of(store), store.workerFields(), redis,
          () -> LambdaTraining.train(cloud, data, workers, seconds, oursLifetimeSeconds(),
              DriverModel.LEARNING_RATE)));
    }
  }

  /** Runs every variant the deployment can (those needing Redis only with one), then ours. */
  private Map<String, Run> measure(Deployment deployment) throws Exception {
    Map<String, Run> runs = new LinkedHashMap<>();
    for (Variant variant : Variant.values()) {
      if (variant.needsRedis() && deployment.redis() == null) {
        continue;
      }
      runs.put(variant.label, exchange(variant, deployment));
      report(deployment.topology(), variant.label, runs.get(variant.label));
    }
    runs.put(OURS, ours(deployment));
    report(deployment.topology(), OURS, runs.get(OURS));
    return runs;
  }

  /** A PyWren-style worker's function timeout: its budget and time to return, within Lambda's 15 minutes. */
  private int exchangeWorkerTimeoutSeconds() {
    return Math.min(900, seconds + 120);
  }

  /** How long one of ours' workers runs before LambdaRunner replaces it. */
  private int oursLifetimeSeconds() {
    return Math.min(seconds, 240);
  }

  /** Prints a run's last point; {@code topology} is null for the Bosen-like reference, which has none. */
  private static void report(Topology topology, String name, Run run) {
    DriverModel.Point last = run.curve().get(run.curve().size() - 1);
    System.out.printf(Locale.ROOT, "%s: held-out logloss %.5f after %.1f s, %,d gradients applied (load %.1f)%n",
        topology == null ? name : label(topology, name), last.loss(), last.seconds(), run.gradients(),
        Machine.loadAverage());
  }

  /** One PyWren-style variant: the driver applies the gradients and publishes the model through the exchange. */
  private Run exchange(Variant variant, Deployment deployment) throws Exception {
    S3Path root = S3Path.parse("s3://bench/figure5/" + variant.name().toLowerCase(Locale.ROOT) + "-"
        + System.currentTimeMillis());
    if (variant.needsRedis()) {
      try (RespClient redis = new RespClient(deployment.redis())) {
        redis.call("FLUSHALL");
      }
    }
    DriverModel model = new DriverModel(modelSize);
    long gradients = 0;
    try (Exchange exchange =
        Exchange.open(variant.transport, deployment.store(), root, deployment.redis(), modelSize)) {
      exchange.publish(model.weights, 0, new RoaringBitmap());
      DriverModel.Monitor monitor = model.monitor(heldOut, 1000);
      long deadline = System.currentTimeMillis() + seconds * 1000L;
      if (!variant.reusesWorkers) {
        for (long v = 0; System.currentTimeMillis() < deadline; v++) {
          List<CompletableFuture<Long>> calls = new ArrayList<>();
          for (int w = 0; w < workers; w++) {
            calls.add(invoke(deployment, call(variant, deployment, root, w, v, deadline)));
          }
          CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
          for (int w = 0; w < workers; w++) {
            model.apply(required(exchange.take(w, v), variant, w, v));
            gradients++;
          }
          exchange.publish(model.weights, v + 1, null);
        }
      } else {
        List<CompletableFuture<Long>> running = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
          running.add(invoke(deployment, call(variant, deployment, root, w, 0, deadline)));
        }
        gradients = variant.asynchronous
            ? applyAsTheyCome(exchange, model, running, deadline)
            : applyInLockstep(exchange, model, running, deadline);
        exchange.stop();
        CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
      }
      List<DriverModel.Point> curve = monitor.stop(heldOut);
      if (!variant.needsRedis()) {
        deployment.store().deleteAll(root);
      }
      return new Run(curve, gradients);
    }
  }

  private static SparseGradient required(SparseGradient g, Variant variant, int worker, long v) {
    if (g == null) {
      throw new IllegalStateException(variant.label + ": worker " + worker + " returned without its gradient for"
          + " iteration " + v);
    }
    return g;
  }

  /** Synchronous SGD: version v + 1 is every worker's gradient at version v applied. */
  private long applyInLockstep(Exchange exchange, DriverModel model, List<CompletableFuture<Long>> running,
      long deadline) throws Exception {
    long gradients = 0;
    for (long v = 0; System.currentTimeMillis() < deadline; v++) {
      for (int w = 0; w < workers; w++) {
        SparseGradient g;
        while ((g = exchange.take(w, v)) == null) {
          if (System.currentTimeMillis() >= deadline) {
            return gradients;
          }
          idle(running);
        }
        model.apply(g);
        gradients++;
      }
      exchange.publish(model.weights, v + 1, null);
    }
    return gradients;
  }

  /** Asynchronous SGD: gradients are applied as they arrive, and a new version published after each round. */
  private long applyAsTheyCome(Exchange exchange, DriverModel model, List<CompletableFuture<Long>> running,
      long deadline) throws Exception {
    long[] next = new long[workers];
    long gradients = 0;
    long version = 0;
    RoaringBitmap touched = new RoaringBitmap();
    while (System.currentTimeMillis() < deadline) {
      boolean any = false;
      for (int w = 0; w < workers; w++) {
        SparseGradient g = exchange.take(w, next[w]);
        if (g != null) {
          model.apply(g);
          touched.add(g.keys());
          exchange.recordTaken(w, ++next[w]);
          gradients++;
          any = true;
        }
      }
      if (any) {
        exchange.publish(model.weights, ++version, touched);
        touched.clear();
      } else {
        idle(running);
      }
    }
    return gradients;
  }

  /** Waits a moment for workers, failing at once if one of them failed. */
  private static void idle(List<CompletableFuture<Long>> running) throws Exception {
    for (CompletableFuture<Long> r : running) {
      if (r.isCompletedExceptionally()) {
        r.get();
      }
    }
    Thread.sleep(1);
  }

  private WorkerCall call(Variant variant, Deployment deployment, S3Path root, int worker, long iteration,
      long deadline) {
    return new WorkerCall(variant, worker, workers, deployment.workerStoreFields(), root.toString(),
        chunkRoot.toString(), chunks, modelSize - 1, MINIBATCH, deployment.redis(), iteration, deadline);
  }

  private CompletableFuture<Long> invoke(Deployment deployment, WorkerCall call) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        SdkBytes payload = SdkBytes.fromByteArray(ExchangeWorker.JSON.writeValueAsBytes(call));
        InvokeResponse response = deployment.lambda().invoke(b -> b.functionName(FUNCTION).payload(payload));
        if (response.functionError() != null) {
          throw new IllegalStateException(label(deployment.topology(), call.variant().label) + ": worker "
              + call.worker() + " failed: " + response.payload().asUtf8String());
        }
        return ExchangeWorker.JSON.readTree(response.payload().asByteArray()).get("iterations").asLong();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }, invocations);
  }

  /**
   * Ours: LambdaRunner's training with the same workers and budget; its curve is on the same held-out rows (its test
   * curve: its monitor watched the validation split instead).
   */
  private static Run ours(Deployment deployment) {
    TrainResult r = deployment.ours().get();
    List<DriverModel.Point> curve = r.curve().stream()
        .map(p -> new DriverModel.Point(p.seconds(), p.testLoss()))
        .toList();
    return new Run(curve, r.updates());
  }

  /** The same SGD on {@code threads} threads sharing one model in memory (Hogwild-style), chunks prefetched. */
  private Run bosenLike(int threads) throws Exception {
    DriverModel model = new DriverModel(modelSize);
    AtomicLong gradients = new AtomicLong();
    DriverModel.Monitor monitor = model.monitor(heldOut, 1000);
    long deadline = System.currentTimeMillis() + seconds * 1000L;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<java.util.concurrent.Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int[] own = Chunks.interleaved(chunks, t, threads);
      long seed = t;
      done.add(pool.submit(() -> {
        try (MinibatchIterator batches = MinibatchIterator.over(k -> Chunks.read(data.store, chunkRoot, k), own)
            .batchSize(MINIBATCH).biasKey(modelSize - 1).epochs(0).seed(seed).prefetchDepth(8).build()) {
          Minibatch batch = new Minibatch();
          float[] gradient = new float[0];
          while (System.currentTimeMillis() < deadline) {
            batches.next(batch);
            int count = batch.keyCount();
            int[] keys = batch.keyBuffer();
            float[] pulled = Exchange.gather(java.nio.FloatBuffer.wrap(model.weights), keys, count);
            if (gradient.length < count) {
              gradient = new float[count * 2];
            }
            LinearGradient.compute(LinearLoss.LOGISTIC, batch, pulled, gradient);
            model.apply(keys, gradient, count);
            gradients.incrementAndGet();
          }
        }
        return null;
      }));
    }
    for (java.util.concurrent.Future<?> f : done) {
      f.get();
    }
    pool.shutdown();
    return new Run(monitor.stop(heldOut), gradients.get());
  }

  private static String table(Map<String, Run> runs, double optimum, int seconds) {
    double target = optimum * 1.01;
    int[] budgets = {Math.max(1, seconds / 6), Math.max(1, seconds / 2), seconds};
    StringBuilder md = new StringBuilder("| variant | gradients applied |");
    for (int b : budgets) {
      md.append(" loss at ").append(b).append(" s |");
    }
    md.append(" final loss | time to within 1% of liblinear (").append(String.format(Locale.ROOT, "%.5f", target))
        .append(") | time / ours |\n|---|---:|");
    md.append("---:|".repeat(budgets.length)).append("---:|---:|---:|\n");
    double ours = runs.containsKey(OURS) ? Curves.timeTo(runs.get(OURS).curve(), target) : Double.NaN;
    for (Map.Entry<String, Run> e : runs.entrySet()) {
      List<DriverModel.Point> curve = e.getValue().curve();
      md.append("| ").append(e.getKey()).append(" | ").append(String.format(Locale.ROOT, "%,d", e.getValue().gradients()))
          .append(" |");
      for (int b : budgets) {
        double loss = Curves.lossAt(curve, b);
        md.append(Double.isNaN(loss) ? " - |" : String.format(Locale.ROOT, " %.5f |", loss));
      }
      double time = Curves.timeTo(curve, target);
      md.append(String.format(Locale.ROOT, " %.5f | ", curve.get(curve.size() - 1).loss()))
          .append(Double.isNaN(time) ? "not reached" : String.format(Locale.ROOT, "%.1f s", time)).append(" | ");
      if (Double.isNaN(ours)) {
        md.append("- (ours did not reach it)");
      } else if (Double.isNaN(time)) {
        md.append(String.format(Locale.ROOT, "> %.1fx", seconds / ours));
      } else {
        md.append(String.format(Locale.ROOT, "%.2fx", time / ours));
      }
      md.append(" |\n");
    }
    return md.toString();
  }
}
