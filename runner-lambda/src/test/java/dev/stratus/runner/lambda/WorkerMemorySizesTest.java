package dev.stratus.runner.lambda;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stratus.lambda.local.TestFunctions;
import dev.stratus.spi.ExecutionContext;
import dev.stratus.spi.TransformExecutor;
import dev.stratus.spi.WorkerContext;
import dev.stratus.spi.WorkerEntryPoint;
import dev.stratus.spi.Workers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.util.construction.PTransformTranslation.TransformPayloadTranslator;
import org.apache.beam.sdk.util.construction.SdkComponents;
import org.apache.beam.sdk.util.construction.TransformPayloadTranslatorRegistrar;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Trainings choosing their workers' memory: an in-driver executor invokes the worker function at its own memory and
 * at a larger size of {@code --workerMemorySizesMb}, whose variant function the embedded local service registered,
 * with process environments (as on Lambda, a JVM each, its heap derived from its memory).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WorkerMemorySizesTest {
  private static final int FUNCTION_MB = 256;
  private static final int LARGE_MB = 2048;

  @AfterAll
  static void stopLocalLambdaServices() {
    LambdaRunner.stopLocalServices();
    assertEquals(0, TestFunctions.descendants(), "environment processes left behind");
  }

  @Test
  void anExecutorInvokesTheWorkerFunctionAtTheMemoryItChooses() {
    LambdaRunnerOptions options = PipelineOptionsFactory
        .fromArgs("--workerMemoryMb=" + FUNCTION_MB, "--workerMemorySizesMb=" + LARGE_MB + ",512")
        .as(LambdaRunnerOptions.class);
    options.setRunner(LambdaRunner.class);
    options.setDataDir(Path.of("target", "worker-memory-test-store").toString());
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of(1)).apply(new ProbeWorkers());
    p.run();

    Seen seen = ProbeWorkersExecutor.SEEN.getAndSet(null);
    assertNotNull(seen, "the executor ran");
    assertEquals(List.of(FUNCTION_MB, 512, LARGE_MB), seen.sizesMb(), "sizes offered, smallest first");
    assertEquals(FUNCTION_MB, seen.atOwnMemory().memoryMb(), "memory the function's own invocation saw");
    assertEquals(LARGE_MB, seen.largeMemoryMb(), "memory of the view at " + LARGE_MB + " MB");
    assertEquals(LARGE_MB, seen.atLargeMemory().memoryMb(), "memory the variant's invocation saw");
    long mb = 1024 * 1024;
    assertThat("heap of the function's environment", seen.atOwnMemory().maxMemoryBytes(),
        lessThanOrEqualTo(FUNCTION_MB * mb));
    assertThat("heap of the variant's environment: more than the function's whole memory",
        seen.atLargeMemory().maxMemoryBytes(), greaterThan(1024 * mb));
    assertThat(seen.refusal(), containsString("offered at [256, 512, 2048] MB, not at 999 MB"));
    assertEquals(2, seen.invocations(), "invocations counted once for the function and its variants");
    assertFalse(seen.cpuGrowsWithMemory(), "the local service's environments share this machine's cores");
  }

  @Test
  void offersLargerSizesOnTheEmbeddedServiceOnlyByDefault() {
    assertEquals(List.of(2048, 3008), sizesFor());
    assertEquals(List.of(), sizesFor("--lambdaEndpoint=aws"));
    assertEquals(List.of(), sizesFor("--lambdaEndpoint=http://127.0.0.1:9001"));
    assertEquals(List.of(4096, 1536), sizesFor("--workerMemorySizesMb=4096,1536"));
  }

  private static List<Integer> sizesFor(String... args) {
    return PipelineOptionsFactory.fromArgs(args).as(LambdaRunnerOptions.class).getWorkerMemorySizesMb();
  }

  @Test
  void refusesASizeLambdaDoesNotOfferOrAVariantNameTooLong() {
    assertThat(refusal("--workerMemorySizesMb=2048,64"),
        containsString("--workerMemorySizesMb=64 is out of range: 128..10240"));
    assertThat(refusal("--workerMemorySizesMb=3008", "--functionName=" + "w".repeat(58)),
        containsString("would be " + "w".repeat(58) + "-3008mb, longer than the 64 characters Lambda takes"));
  }

  private static String refusal(String... args) {
    LambdaRunnerOptions options = PipelineOptionsFactory.fromArgs(args).as(LambdaRunnerOptions.class);
    options.setRunner(LambdaRunner.class);
    return assertThrows(IllegalArgumentException.class, () -> LambdaRunner.fromOptions(options)).getMessage();
  }

  /** What the executor saw of the worker function. */
  record Seen(List<Integer> sizesMb, Probe atOwnMemory, int largeMemoryMb, Probe atLargeMemory, String refusal,
      long invocations, boolean cpuGrowsWithMemory) {}

  /** What one invocation of {@link MemoryProbe} answered: its environment's memory setting and heap limit. */
  record Probe(int memoryMb, long maxMemoryBytes) {
    static Probe of(byte[] answer) {
      String[] parts = new String(answer, StandardCharsets.UTF_8).split(",");
      return new Probe(Integer.parseInt(parts[0]), Long.parseLong(parts[1]));
    }
  }

  /** A composite the runner executes in the driver with {@link ProbeWorkersExecutor}; its expansion never runs. */
  public static final class ProbeWorkers extends PTransform<PCollection<Integer>, PCollection<String>> {
    static final String URN = "stratus:test:probe_workers:v1";

    @Override
    public PCollection<String> expand(PCollection<Integer> input) {
      return input.apply(MapElements.into(TypeDescriptors.strings()).via(String::valueOf));
    }
  }

  /** Invokes {@link MemoryProbe} at the function's own memory and at {@link #LARGE_MB}; keeps what it saw. */
  public static final class ProbeWorkersExecutor implements TransformExecutor {
    /** The executor runs in the driver, the test's JVM. */
    static final AtomicReference<Seen> SEEN = new AtomicReference<>();

    @Override
    public String urn() {
      return ProbeWorkers.URN;
    }

    @Override
    public List<?> execute(PTransform<?, ?> transform, ExecutionContext context) throws Exception {
      Workers workers = context.workers();
      Workers large = workers.atMemory(LARGE_MB);
      Probe atOwnMemory = Probe.of(workers.invoke(MemoryProbe.NAME, new byte[0]).get());
      Probe atLargeMemory = Probe.of(large.invoke(MemoryProbe.NAME, new byte[0]).get());
      String refusal = assertThrows(IllegalArgumentException.class, () -> workers.atMemory(999)).getMessage();
      SEEN.set(new Seen(workers.memorySizesMb(), atOwnMemory, large.memoryMb(), atLargeMemory, refusal,
          workers.invocations(), workers.cpuGrowsWithMemory()));
      return List.of();
    }
  }

  /** Answers with its environment's memory setting and its JVM's heap limit. */
  public static final class MemoryProbe implements WorkerEntryPoint {
    static final String NAME = "stratus-test-memory-probe";

    @Override
    public String name() {
      return NAME;
    }

    @Override
    public byte[] handle(byte[] request, WorkerContext context) {
      return (context.memoryMb() + "," + Runtime.getRuntime().maxMemory()).getBytes(StandardCharsets.UTF_8);
    }
  }

  /** Gives {@link ProbeWorkers} its URN, by which the runner finds its executor. */
  public static final class ProbeRegistrar implements TransformPayloadTranslatorRegistrar {
    @Override
    @SuppressWarnings("rawtypes")
    public Map<? extends Class<? extends PTransform>, ? extends TransformPayloadTranslator>
        getTransformPayloadTranslators() {
      return Map.of(ProbeWorkers.class, new TransformPayloadTranslator<ProbeWorkers>() {
        @Override
        public String getUrn() {
          return ProbeWorkers.URN;
        }

        @Override
        public RunnerApi.FunctionSpec translate(AppliedPTransform<?, ?, ProbeWorkers> application,
            SdkComponents components) {
          return RunnerApi.FunctionSpec.newBuilder().setUrn(ProbeWorkers.URN).build();
        }
      });
    }
  }
}
