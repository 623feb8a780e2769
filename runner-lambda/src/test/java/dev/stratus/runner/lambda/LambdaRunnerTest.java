package dev.stratus.runner.lambda;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import dev.stratus.lambda.local.FunctionSpec;
import dev.stratus.lambda.local.LocalLambdaService;
import dev.stratus.runner.lambda.message.WorkerFunction;
import dev.stratus.runner.lambda.scheduler.StageReport;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.AfterClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Pipelines run end to end on LambdaRunner through the local Lambda service, with in-process environments. */
public class LambdaRunnerTest {
  @Rule public final TemporaryFolder temp = new TemporaryFolder();

  @AfterClass
  public static void stopLocalLambdaServices() {
    WorkerFunctionConnector.stopLocalServices();
  }

  private LambdaRunnerOptions options() {
    LambdaRunnerOptions options = PipelineOptionsFactory.as(LambdaRunnerOptions.class);
    options.setRunner(LambdaRunner.class);
    options.setDataDir(Path.of("target", "lambda-runner-test-store").toString());
    options.setLocalEnvironmentMode(LambdaRunnerOptions.LocalEnvironmentMode.IN_PROCESS);
    options.setRetryBackoffMillis(10);
    return options;
  }

  @Test
  public void countsWordsWithGroupByKeyAndCombine() {
    TestPipeline p = TestPipeline.fromOptions(options()).enableAbandonedNodeEnforcement(false);
    PCollection<String> words =
        p.apply(Create.of("a b c", "b c", "c"))
            .apply(FlatMapElements.into(TypeDescriptors.strings()).via(line -> Arrays.asList(line.split(" "))));
    PCollection<KV<String, Long>> counted = words.apply(Count.perElement());
    PAssert.that(counted).containsInAnyOrder(KV.of("a", 1L), KV.of("b", 2L), KV.of("c", 3L));
    PCollection<KV<String, Iterable<Integer>>> grouped =
        words
            .apply(MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.integers()))
                .via(w -> KV.of(w, 1)))
            .apply(GroupByKey.create());
    PAssert.that(grouped.apply(MapElements.into(TypeDescriptors.integers()).via(kv -> sum(kv.getValue()))))
        .containsInAnyOrder(1, 2, 3);
    PAssert.thatSingleton(words.apply(MapElements.into(TypeDescriptors.integers()).via(w -> 1)).apply(Sum.integersGlobally()))
        .isEqualTo(6);
    p.run();
  }

  private static int sum(Iterable<Integer> values) {
    int total = 0;
    for (int v : values) {
      total += v;
    }
    return total;
  }

  @Test
  public void readsSideInputs() {
    TestPipeline p = TestPipeline.fromOptions(options()).enableAbandonedNodeEnforcement(false);
    PCollectionView<Map<String, Integer>> prices =
        p.apply("prices", Create.of(KV.of("apple", 3), KV.of("pear", 5))).apply(View.asMap());
    PCollection<Integer> totals =
        p.apply("orders", Create.of(KV.of("apple", 2), KV.of("pear", 1)))
            .apply(ParDo.of(new PriceOrders(prices)).withSideInputs(prices));
    PAssert.that(totals).containsInAnyOrder(6, 5);
    p.run();
  }

  @Test
  public void refusesOptionsOutOfRangeNamingTheOptionAndItsRange() {
    LambdaRunnerOptions options = options();
    options.setShufflePartitions(-1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LambdaRunner.fromOptions(options));
    assertThat(e.getMessage(), containsString("--shufflePartitions=-1 is out of range: 0..65536"));
    options.setShufflePartitions(0);
    options.setTaskTimeoutSeconds(901);
    e = assertThrows(IllegalArgumentException.class, () -> LambdaRunner.fromOptions(options));
    assertThat(e.getMessage(), containsString("--taskTimeoutSeconds=901 is out of range: 1..900"));
    options.setTaskTimeoutSeconds(900);
    options.setRetryBackoffMillis(-5);
    e = assertThrows(IllegalArgumentException.class, () -> LambdaRunner.fromOptions(options));
    assertThat(e.getMessage(), containsString("--retryBackoffMillis=-5 is out of range: 0..60000"));
  }

  /** Process environments, as on Lambda: one task at a time per JVM, so its store time is its own. */
  @Test
  public void reportsEachStagesTimeInWorkersAndOnStoreIo() {
    LambdaRunnerOptions options = options();
    options.setLocalEnvironmentMode(LambdaRunnerOptions.LocalEnvironmentMode.PROCESS);
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of(java.util.stream.IntStream.range(0, 20_000).boxed().toList()))
        .apply(MapElements.into(TypeDescriptors.kvs(TypeDescriptors.integers(), TypeDescriptors.strings()))
            .via(i -> KV.of(i % 100, "x".repeat(100))))
        .apply(GroupByKey.create())
        .apply(Count.globally());
    LambdaPipelineResult result = (LambdaPipelineResult) p.run();

    List<StageReport> stages = result.stages();
    assertThat(stages.toString(), stages.size(), greaterThanOrEqualTo(3));
    for (StageReport stage : stages) {
      assertThat(stage.toString(), stage.tasks(), greaterThanOrEqualTo(1));
      assertThat(stage.toString(), stage.workerMillis(), greaterThanOrEqualTo(0L));
      assertThat(stage.toString(), stage.storeMillis(), greaterThan(0L)); // plans, outputs
      assertThat("a part of the time in workers: " + stage, stage.storeMillis(),
          lessThanOrEqualTo(stage.workerMillis()));
    }
    long written = stages.stream().mapToLong(StageReport::elementsWritten).sum();
    assertThat("the shuffle's 20,000 elements went through the store", written,
        greaterThanOrEqualTo(20_000L));
  }

  @Test
  public void runsAsManyAttemptsAtOnceAsTheLambdaServicesMachineHasCoresByDefault() {
    int cores = Runtime.getRuntime().availableProcessors();
    assertEquals("the embedded local service", cores, concurrencyFor());
    assertEquals("a service on loopback", cores, concurrencyFor("--lambdaEndpoint=http://127.0.0.1:9001"));
    assertEquals("a service on localhost", cores, concurrencyFor("--lambdaEndpoint=http://localhost:9001"));
    assertEquals("AWS Lambda", TaskConcurrency.REMOTE, concurrencyFor("--lambdaEndpoint=aws"));
    assertEquals("another machine", TaskConcurrency.REMOTE,
        concurrencyFor("--lambdaEndpoint=http://192.0.2.7:9001"));
    assertEquals("given", 3, concurrencyFor("--maxConcurrency=3"));
  }

  private static int concurrencyFor(String... args) {
    return PipelineOptionsFactory.fromArgs(args).as(LambdaRunnerOptions.class).getMaxConcurrency();
  }

  @Test
  public void sizesAGroupByKeysReduceTasksByItsData() {
    assertEquals("8 MB of values in 64 MB tasks: as many as run at once", 2, reduceTasks(8_000, 500, 64));
    long tasks = reduceTasks(8_000, 500, 1);
    assertEquals("8 MB of values in 1 MB tasks: " + tasks, true, tasks >= 8 && tasks <= 10);
    assertEquals("a few small elements spread over as many tasks as run at once", 2, reduceTasks(3, 3, 64));
    assertEquals("one key is one task", 1, reduceTasks(10, 1, 64));
  }

  /**
   * Groups {@code values} values of 1 KB under {@code keys} keys, two attempts at once; returns the reduce tasks, one
   * bundle each.
   */
  private long reduceTasks(int values, int keys, int bundleSizeMb) {
    LambdaRunnerOptions options = options();
    options.setBundleSizeMb(bundleSizeMb);
    options.setMaxConcurrency(2);
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of(java.util.stream.IntStream.range(0, values).boxed().toList()))
        .apply(MapElements.into(TypeDescriptors.kvs(TypeDescriptors.integers(), TypeDescriptors.strings()))
            .via(i -> KV.of(i % keys, "x".repeat(1_000))))
        .apply(GroupByKey.create())
        .apply(ParDo.of(new CountBundles()));
    PipelineResult result = p.run();
    return result.metrics()
        .queryMetrics(MetricsFilter.builder().addNameFilter(MetricNameFilter.named("test", "bundles")).build())
        .getCounters().iterator().next().getCommitted();
  }

  private static final class CountBundles extends DoFn<KV<Integer, Iterable<String>>, Void> {
    private final Counter bundles = Metrics.counter("test", "bundles");

    @StartBundle
    public void startBundle() {
      bundles.inc();
    }

    @ProcessElement
    public void process() {}
  }

  @Test
  public void failsWithTheWorkersOwnErrorAndMessage() {
    Pipeline p = Pipeline.create(options());
    p.apply(Create.of(1, 2, 3))
        .apply(ParDo.of(new RejectTwo()));
    Pipeline.PipelineExecutionException e = assertThrows(Pipeline.PipelineExecutionException.class, p::run);
    assertEquals(IllegalArgumentException.class, e.getCause().getClass());
    assertThat(e.getCause().getMessage(), containsString("two is not allowed here"));
  }

  @Test
  public void retriesAFailedAttemptWithoutDuplicatingItsOutput() throws IOException {
    Path marker = temp.getRoot().toPath().resolve("failed-once");
    LambdaRunnerOptions options = options();
    TestPipeline p = TestPipeline.fromOptions(options).enableAbandonedNodeEnforcement(false);
    PCollection<Integer> out =
        p.apply(Create.of(List.of(1, 2, 3, 4, 5)))
            .apply(ParDo.of(new FailFirstAttemptAfterOutput(marker.toString())));
    PAssert.that(out).containsInAnyOrder(10, 20, 30, 40, 50);
    PAssert.thatSingleton(out.apply(Count.globally())).isEqualTo(5L);
    PipelineResult result = p.run();
    assertEquals(true, Files.exists(marker));
    Iterable<MetricResult<Long>> counters =
        result.metrics()
            .queryMetrics(MetricsFilter.builder().addNameFilter(MetricNameFilter.named("test", "elements")).build())
            .getCounters();
    MetricResult<Long> elements = counters.iterator().next();
    assertEquals(5L, (long) elements.getCommitted());
    assertEquals(10L, (long) elements.getAttempted());
  }

  @Test
  public void doFnsInWorkerProcessesWriteToTheDriversEmbeddedStore() {
    LambdaRunnerOptions options = options();
    options.setLocalEnvironmentMode(LambdaRunnerOptions.LocalEnvironmentMode.PROCESS);
    options.setWorkerMemoryMb(256);
    String key = "worker-writes/" + UUID.randomUUID();
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of(key)).apply(ParDo.of(new WriteToOptionsStore()));
    p.run();
    ObjectStore driverStore = ObjectStore.of(StoreOptions.spec(options));
    assertEquals(true, driverStore.exists(new S3Path(options.getBucket(), key)));
  }

  /** Opens the store its pipeline options name, as the DSL's DoFns do, and writes one object. */
  private static final class WriteToOptionsStore extends DoFn<String, Void> {
    @ProcessElement
    public void process(ProcessContext c) {
      StoreOptions options = c.getPipelineOptions().as(StoreOptions.class);
      ObjectStore.of(StoreOptions.spec(options))
          .put(new S3Path(options.getBucket(), c.element()), "written by a worker".getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  public void runsOnTheLambdaEndpointTheOptionsName() {
    List<Path> classpath =
        Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator)).map(Path::of).toList();
    try (LocalLambdaService lambda =
        LocalLambdaService.start(
            LocalLambdaService.Config.defaults().withEnvironmentMode(LocalLambdaService.EnvironmentMode.IN_PROCESS))) {
      lambda.registerFunction(
          FunctionSpec.of("external-worker", WorkerFunction.HANDLER, classpath)
              .withMemoryMb(512)
              .withTimeoutSeconds(60));
      LambdaRunnerOptions options = options();
      options.setLambdaEndpoint(lambda.endpoint().toString());
      options.setLambdaCredentials(lambda.credentialsProvider());
      options.setFunctionName("external-worker");
      // Not a TestPipeline: it round-trips the options through JSON, which never carries credentials.
      Pipeline p = Pipeline.create(options);
      PAssert.that(p.apply(Create.of("x", "y", "x")).apply(Count.perElement()))
          .containsInAnyOrder(KV.of("x", 2L), KV.of("y", 1L));
      p.run();
      assertEquals(true, lambda.stats("external-worker").invocations() > 0);
    }
  }

  @Test
  public void retriesAnAttemptThatTimedOut() {
    Path marker = temp.getRoot().toPath().resolve("timed-out-once");
    LambdaRunnerOptions options = options();
    options.setTaskTimeoutSeconds(2);
    TestPipeline p = TestPipeline.fromOptions(options).enableAbandonedNodeEnforcement(false);
    PCollection<Integer> out = p.apply(Create.of(1, 2, 3)).apply(ParDo.of(new StallFirstAttempt(marker.toString())));
    PAssert.that(out).containsInAnyOrder(1, 2, 3);
    p.run();
    assertEquals(true, Files.exists(marker));
  }

  /** Outlives the task timeout on its first attempt (after emitting); later attempts pass elements through. */
  private static final class StallFirstAttempt extends DoFn<Integer, Integer> {
    private final String marker;

    StallFirstAttempt(String marker) {
      this.marker = marker;
    }

    @ProcessElement
    public void process(@Element Integer n, OutputReceiver<Integer> out) throws InterruptedException {
      out.output(n);
      try {
        Files.createFile(Path.of(marker));
      } catch (IOException alreadyStalledOnce) {
        return;
      }
      Thread.sleep(10_000);
    }
  }

  private static final class PriceOrders extends DoFn<KV<String, Integer>, Integer> {
    private final PCollectionView<Map<String, Integer>> prices;

    PriceOrders(PCollectionView<Map<String, Integer>> prices) {
      this.prices = prices;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.element().getValue() * c.sideInput(prices).get(c.element().getKey()));
    }
  }

  private static final class RejectTwo extends DoFn<Integer, Integer> {
    @ProcessElement
    public void process(@Element Integer n) {
      if (n == 2) {
        throw new IllegalArgumentException("two is not allowed here");
      }
    }
  }

  /** Emits every element, then fails the first attempt at the end of its bundle; later attempts succeed. */
  private static final class FailFirstAttemptAfterOutput extends DoFn<Integer, Integer> {
    private final String marker;
    private final Counter elements = Metrics.counter("test", "elements");

    FailFirstAttemptAfterOutput(String marker) {
      this.marker = marker;
    }

    @ProcessElement
    public void process(@Element Integer n, OutputReceiver<Integer> out) {
      elements.inc();
      out.output(n * 10);
    }

    @FinishBundle
    public void finish() {
      Path path = Path.of(marker);
      if (!Files.exists(path)) {
        try {
          Files.createFile(path);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("first attempt fails after its output");
      }
    }
  }
}
