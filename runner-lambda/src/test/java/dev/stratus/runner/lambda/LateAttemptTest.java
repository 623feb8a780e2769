package dev.stratus.runner.lambda;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.Test;

/**
 * A task's first attempt outlives its 3-second timeout, ignoring the interrupt, and writes its output once it wakes:
 * after the driver gave up on it and committed a second attempt, or after the job ended. The pipeline's output is
 * the fault-free one, and nothing the late attempt wrote remains in the store.
 */
public class LateAttemptTest {
  private static final Pattern ATTEMPT = Pattern.compile("(.*/task-\\d+/)(attempt-[^/]+/).*");
  private static final AtomicBoolean SLEPT = new AtomicBoolean();
  private static volatile CountDownLatch lateAttemptDone;

  @Before
  public void reset() {
    SLEPT.set(false);
    lateAttemptDone = new CountDownLatch(1);
  }

  @AfterClass
  public static void stopLocalLambdaServices() {
    WorkerFunctionConnector.stopLocalServices();
  }

  @Test
  public void aLateAttemptLeavesNothingBesideTheCommittedOutput() throws Exception {
    LambdaRunnerOptions options = options(true);
    runTimesTen(options, 5_000);

    Map<String, Set<String>> attemptsWithObjects = new TreeMap<>();
    for (ObjectStore.ObjectInfo object : jobObjects(options)) {
      Matcher attempt = ATTEMPT.matcher(object.path().key());
      if (attempt.matches()) {
        attemptsWithObjects.computeIfAbsent(attempt.group(1), t -> new TreeSet<>()).add(attempt.group(2));
      }
      assertTrue("closed tasks keep no descriptor: " + object.path(), !object.path().key().endsWith("/descriptor"));
    }
    assertTrue("the job kept its intermediate data", !attemptsWithObjects.isEmpty());
    attemptsWithObjects.forEach(
        (task, attempts) -> assertEquals("attempts with output in " + task + ": " + attempts, 1, attempts.size()));
  }

  @Test
  public void aLateAttemptWritesNothingIntoTheDeletedJobDirectory() throws Exception {
    LambdaRunnerOptions options = options(false);
    runTimesTen(options, 9_000);

    assertEquals(List.of(), jobObjects(options));
  }

  private static LambdaRunnerOptions options(boolean keepIntermediateData) {
    LambdaRunnerOptions options = PipelineOptionsFactory.as(LambdaRunnerOptions.class);
    options.setRunner(LambdaRunner.class);
    options.setDataDir(Path.of("target", "late-attempt-test-store").toString());
    options.setLocalEnvironmentMode(LambdaRunnerOptions.LocalEnvironmentMode.IN_PROCESS);
    options.setFunctionName("late-attempt-worker");
    options.setTaskTimeoutSeconds(3);
    options.setMaxAttempts(3);
    options.setRetryBackoffMillis(10);
    options.setKeepIntermediateData(keepIntermediateData);
    options.setJobName("late-attempt-" + UUID.randomUUID());
    return options;
  }

  /** Runs the pipeline, then waits until the late attempt has written (or tried to) and torn down. */
  private static void runTimesTen(LambdaRunnerOptions options, long lateMillis) throws InterruptedException {
    Pipeline p = Pipeline.create(options);
    PCollection<Integer> out = p.apply(Create.of(1, 2, 3, 4, 5)).apply(ParDo.of(new FirstAttemptOverstays(lateMillis)));
    PAssert.that(out).containsInAnyOrder(10, 20, 30, 40, 50);
    p.run();
    assertTrue("the first attempt woke and finished late", lateAttemptDone.await(30, TimeUnit.SECONDS));
  }

  private static List<ObjectStore.ObjectInfo> jobObjects(LambdaRunnerOptions options) {
    ObjectStore store = ObjectStore.of(StoreOptions.spec(options));
    return store.list(new S3Path(options.getBucket(), "lambda-runner/" + options.getJobName() + "-"));
  }

  /**
   * Multiplies by ten; the first attempt to run sleeps {@code lateMillis} first, through the timeout's interrupt, as
   * a worker stuck in a call that ignores interrupts would.
   */
  private static final class FirstAttemptOverstays extends DoFn<Integer, Integer> {
    private final long lateMillis;
    private transient boolean late;

    FirstAttemptOverstays(long lateMillis) {
      this.lateMillis = lateMillis;
    }

    @ProcessElement
    public void process(@Element Integer x, OutputReceiver<Integer> out) {
      if (SLEPT.compareAndSet(false, true)) {
        late = true;
        long wakeAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(lateMillis);
        for (long left; (left = wakeAt - System.nanoTime()) > 0; ) {
          try {
            TimeUnit.NANOSECONDS.sleep(left);
          } catch (InterruptedException ignored) {
            // Overstays on purpose; the interrupt stays cleared so the attempt's writes go through.
          }
        }
      }
      out.output(x * 10);
    }

    /** Called after the attempt's writers finished (or failed). */
    @Teardown
    public void teardown() {
      if (late) {
        lateAttemptDone.countDown();
      }
    }
  }
}
