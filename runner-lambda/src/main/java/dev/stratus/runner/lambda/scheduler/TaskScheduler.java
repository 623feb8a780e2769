package dev.stratus.runner.lambda.scheduler;

import dev.stratus.jvm.DaemonThreadFactory;
import dev.stratus.runner.lambda.graph.ExecutionGraph;
import dev.stratus.runner.lambda.graph.Stage;
import dev.stratus.runner.lambda.graph.StageInput;
import dev.stratus.runner.lambda.message.InvocationPayloads;
import dev.stratus.runner.lambda.message.Messages;
import dev.stratus.runner.lambda.message.PartitionRef;
import dev.stratus.runner.lambda.message.ShufflePart;
import dev.stratus.runner.lambda.message.TaskDescriptor;
import dev.stratus.runner.lambda.message.TaskSummary;
import dev.stratus.spi.TransformExecutor;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.io.Closeable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletionService;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.util.SerializableUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an {@link ExecutionGraph}. A stage becomes one task per input partition; the tasks of all running stages share
 * a pool of bounded concurrency; a failed, crashed or timed-out attempt is retried with exponential backoff under a
 * fresh attempt prefix, and a throttled call (429) is repeated as the {@link ThrottlePolicy} says, without spending an
 * attempt. Exactly one attempt per task is committed, the first that succeeds: only the files it names go downstream,
 * so a retry or a stray duplicate never changes the output. What the committed attempts wrote, and the metrics, are
 * kept in a {@link CommittedState}.
 */
public final class TaskScheduler {
  private static final Logger LOG = LoggerFactory.getLogger(TaskScheduler.class);

  private final ObjectStore store;
  private final TaskInvoker invoker;
  private final int maxConcurrency;
  private final S3Path jobDir;
  private final StoreSpec workerStore;
  private final PipelineOptions options;
  private final String optionsJson;
  private final int maxAttempts;
  private final Duration backoff;
  private final ThrottlePolicy throttling;
  private final long bundleSizeBytes;
  private final boolean reduceTaskPerPartition;
  private final String workerFunctionName;
  private final int workerTimeoutSeconds;
  private final int workerMemoryMb;
  private final List<Integer> workerMemorySizesMb;
  private final boolean cpuGrowsWithMemory;
  private final boolean workersOnThisMachine;
  private final String workerLocation;

  private final OpenTasks openTasks;
  private final List<StageReport> reports = new CopyOnWriteArrayList<>();

  private ExecutorService pool;
  private CommittedState committed;
  private LambdaWorkers workers;

  public TaskScheduler(Config config) {
    this.store = config.store();
    this.invoker = config.invoker();
    this.maxConcurrency = config.maxConcurrency();
    this.jobDir = config.jobDir();
    this.workerStore = config.workerStore();
    this.options = config.options();
    this.optionsJson = config.optionsJson();
    this.maxAttempts = config.maxAttempts();
    this.backoff = config.backoff();
    this.throttling = new ThrottlePolicy(config.backoff());
    this.bundleSizeBytes = config.bundleSizeBytes();
    this.reduceTaskPerPartition = config.reduceTaskPerPartition();
    this.workerFunctionName = config.workerFunctionName();
    this.workerTimeoutSeconds = config.workerTimeoutSeconds();
    this.workerMemoryMb = config.workerMemoryMb();
    this.workerMemorySizesMb = config.workerMemorySizesMb();
    this.cpuGrowsWithMemory = config.cpuGrowsWithMemory();
    this.workersOnThisMachine = config.workersOnThisMachine();
    this.workerLocation = config.workerLocation();
    this.openTasks = new OpenTasks(store);
  }

  /**
   * What a run needs, taken from the runner's options by {@code LambdaRunner}.
   *
   * @param invoker invokes the worker function, and its variants at other memory sizes through {@link
   *     TaskInvoker#forFunction}
   * @param maxConcurrency the most task attempts running at once
   * @param jobDir where this run's plans, descriptors and attempts live
   * @param workerStore the store as workers reach it (an endpoint, never an in-process embedded store)
   * @param options the pipeline options as sources (when split) and in-driver executors see them
   * @param optionsJson the pipeline options as JSON, passed to every DoFn
   * @param backoff the wait after a first failed attempt, and after a first throttle; it doubles with each further one
   * @param bundleSizeBytes what one task reads: sources are split, and a shuffle's reduce tasks are sized, to it
   * @param reduceTaskPerPartition one reduce task per hash partition of a shuffle, instead of tasks sized by the data
   * @param workerFunctionName the worker function's name, which its variants' names derive from ({@code
   *     WorkerFunction.nameAt})
   * @param workerTimeoutSeconds the worker function's timeout, as in-driver executors see it
   * @param workerMemoryMb the worker function's memory, as in-driver executors see it
   * @param workerMemorySizesMb more memory sizes the worker function is offered at, each a variant function, for
   *     in-driver executors to choose from ({@code Workers.atMemory})
   * @param cpuGrowsWithMemory whether a worker invocation gets more CPU with more memory (AWS Lambda), as in-driver
   *     executors see it
   * @param workersOnThisMachine whether the worker function runs on this machine, as in-driver executors see it
   * @param workerLocation where the worker function runs, for in-driver executors' messages
   */
  public record Config(
      ObjectStore store,
      TaskInvoker invoker,
      int maxConcurrency,
      S3Path jobDir,
      StoreSpec workerStore,
      PipelineOptions options,
      String optionsJson,
      int maxAttempts,
      Duration backoff,
      long bundleSizeBytes,
      boolean reduceTaskPerPartition,
      String workerFunctionName,
      int workerTimeoutSeconds,
      int workerMemoryMb,
      List<Integer> workerMemorySizesMb,
      boolean cpuGrowsWithMemory,
      boolean workersOnThisMachine,
      String workerLocation) {}

  /**
   * Runs every stage, each as soon as the stages it reads from are done, so independent branches of the pipeline
   * share the workers; returns what the run committed when all are done, or throws the first task failure. Call
   * {@link #checkBeforeRun} first.
   */
  public CommittedState run(ExecutionGraph graph) throws TaskFailedException, InterruptedException {
    this.committed = new CommittedState(graph);
    this.pool = Executors.newFixedThreadPool(maxConcurrency, new DaemonThreadFactory("lambda-runner-task"));
    ExecutorService stageThreads = Executors.newCachedThreadPool(new DaemonThreadFactory("lambda-runner-stage"));
    CompletionService<Stage> finished = new ExecutorCompletionService<>(stageThreads);
    Set<Integer> started = new HashSet<>();
    Set<Integer> done = new HashSet<>();
    try {
      while (done.size() < graph.stages().size()) {
        for (Stage stage : graph.stages()) {
          if (!started.contains(stage.id()) && done.containsAll(stage.dependencies())) {
            started.add(stage.id());
            finished.submit(() -> {
              runStage(stage);
              return stage;
            });
          }
        }
        if (started.size() == done.size()) {
          throw new IllegalStateException("stages " + graph.stages() + " wait on each other");
        }
        done.add(finished.take().get().id());
      }
      return committed;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TaskFailedException failed) {
        throw failed;
      }
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    } finally {
      stageThreads.shutdownNow();
      pool.shutdownNow();
      openTasks.closeAll();
      synchronized (this) {
        if (workers != null) {
          workers.close();
        }
      }
    }
  }

  /**
   * Lets every in-driver executor refuse the run before anything runs ({@link TransformExecutor#checkBeforeRun}):
   * with options workers could never work with, say.
   */
  public void checkBeforeRun(ExecutionGraph graph) {
    for (Stage stage : graph.stages()) {
      if (stage.input() instanceof StageInput.InDriver inDriver) {
        inDriver.executor().checkBeforeRun(inDriver.transform(), options, workers());
      }
    }
  }

  /** Each finished stage's report, in the order they finished. */
  public List<StageReport> stageReports() {
    return List.copyOf(reports);
  }

  private void runStage(Stage stage) throws TaskFailedException, InterruptedException {
    S3Path stageDir = jobDir.resolve("stage-" + stage.id() + "/");
    if (stage.runsInDriver()) {
      runInDriver(stage, stageDir);
      return;
    }
    S3Path planPath = stageDir.resolve("plan");
    store.put(planPath, Messages.write(stage.plan(optionsJson)));

    LinkedHashMap<String, ArrayList<PartitionRef>> sideInputs = new LinkedHashMap<>();
    for (String pcollection : stage.sideInputs()) {
      sideInputs.put(pcollection, committed.partitions(pcollection));
    }
    List<TaskDescriptor> tasks = tasksOf(stage, planPath.toString(), sideInputs);
    long started = System.nanoTime();
    CompletionService<TaskSummary> completions = new ExecutorCompletionService<>(pool);
    List<Future<TaskSummary>> running = new ArrayList<>();
    for (TaskDescriptor task : tasks) {
      S3Path taskDir = stageDir.resolve(String.format("task-%05d/", task.taskIndex()));
      S3Path descriptorPath = taskDir.resolve("descriptor");
      store.put(descriptorPath, Messages.write(task));
      running.add(completions.submit(() -> runTask(stage, task, taskDir, descriptorPath)));
    }
    // Waits in completion order, so the first task to fail for good stops the stage at once.
    List<TaskSummary> summaries = new ArrayList<>();
    try (StageProgress progress = StageProgress.onStandardOutput(stage.toString(), tasks.size())) {
      for (int done = 0; done < running.size(); done++) {
        progress.taskDone(completions.take().get().elementsRead());
      }
      for (Future<TaskSummary> future : running) {
        summaries.add(future.get());
      }
    } catch (ExecutionException e) {
      running.forEach(f -> f.cancel(true));
      if (e.getCause() instanceof TaskFailedException failed) {
        throw failed;
      }
      throw new IllegalStateException(stage + " could not be scheduled: " + e.getCause(), e.getCause());
    }
    summaries.forEach(committed::commit);
    StageReport report = StageReport.of(stage.toString(), (System.nanoTime() - started) / 1_000_000, summaries);
    reports.add(report);
    LOG.info(
        "{}: {} task(s) in {} ms ({} ms in workers, {} ms of it on store I/O), {} element(s) read, {} written to the"
            + " store",
        stage,
        report.tasks(),
        report.wallMillis(),
        report.workerMillis(),
        report.storeMillis(),
        report.elementsRead(),
        report.elementsWritten());
  }

  /** Runs an in-driver stage (a composite executed whole) and commits its output as one partition. */
  private void runInDriver(Stage stage, S3Path stageDir) throws TaskFailedException {
    long started = System.nanoTime();
    InDriverRun run = new InDriverRun(stage, store, workerStore, options, stageDir, workers(), committed);
    String output;
    try {
      output = run.run();
    } catch (Exception e) {
      throw new TaskFailedException(stage + " failed in the driver: " + e.getMessage(), e);
    }
    if (output != null) {
      committed.commitPartition(((StageInput.InDriver) stage.input()).output(), output);
    }
    long wallMillis = (System.nanoTime() - started) / 1_000_000;
    reports.add(new StageReport(stage.toString(), 0, wallMillis, 0, 0, 0, 0));
    LOG.info("{}: ran in the driver in {} ms", stage, wallMillis);
  }

  private synchronized LambdaWorkers workers() {
    if (workers == null) {
      workers = new LambdaWorkers(invoker, throttling, workerFunctionName, workerTimeoutSeconds, workerMemoryMb,
          workerMemorySizesMb, cpuGrowsWithMemory, workersOnThisMachine, workerLocation);
    }
    return workers;
  }

  private List<TaskDescriptor> tasksOf(
      Stage stage, String plan, LinkedHashMap<String, ArrayList<PartitionRef>> sideInputs) {
    List<TaskDescriptor> tasks = new ArrayList<>();
    StageInput input = stage.input();
    if (input instanceof StageInput.Impulse) {
      tasks.add(new TaskDescriptor(stage.id(), 0, plan, new ArrayList<>(), null, sideInputs));
    } else if (input instanceof StageInput.Source source) {
      for (BoundedSource<?> split : split(source)) {
        tasks.add(
            new TaskDescriptor(
                stage.id(), tasks.size(), plan, new ArrayList<>(), SerializableUtils.serializeToByteArray(split), sideInputs));
      }
    } else if (input instanceof StageInput.Files files) {
      for (PartitionRef ref : committed.partitions(files.pcollection())) {
        tasks.add(new TaskDescriptor(stage.id(), tasks.size(), plan, new ArrayList<>(List.of(ref)), null, sideInputs));
      }
    } else {
      StageInput.Shuffle shuffle = (StageInput.Shuffle) input;
      for (ArrayList<PartitionRef> share : reduceShares(shuffle.shuffleId())) {
        tasks.add(new TaskDescriptor(stage.id(), tasks.size(), plan, share, null, sideInputs));
      }
    }
    return tasks;
  }

  /**
   * The parts each reduce task of a shuffle reads: a hash partition each when the options fix their number, else
   * consecutive partitions in shares of about equal bytes, as many shares as the data has bundles, but never fewer
   * than the non-empty partitions up to the concurrency limit: a shuffle of a few small elements (a Reshuffle that
   * spreads work, say) still fans out.
   */
  private List<ArrayList<PartitionRef>> reduceShares(String shuffleId) {
    TreeMap<Integer, List<ShufflePart>> byPartition = new TreeMap<>();
    long totalBytes = 0;
    for (ShufflePart part : committed.shuffleParts(shuffleId)) {
      byPartition.computeIfAbsent(part.partition(), p -> new ArrayList<>()).add(part);
      totalBytes += part.bytes();
    }
    int partitions = byPartition.size();
    long bundles = (totalBytes + bundleSizeBytes - 1) / bundleSizeBytes;
    long shareCount = reduceTaskPerPartition
        ? partitions
        : Math.min(partitions, Math.max(bundles, Math.min(partitions, maxConcurrency)));
    List<ArrayList<PartitionRef>> shares = new ArrayList<>();
    ArrayList<PartitionRef> share = new ArrayList<>();
    long cumulativeBytes = 0;
    int partitionsLeft = partitions;
    for (List<ShufflePart> parts : byPartition.values()) {
      for (ShufflePart part : parts) {
        share.add(new PartitionRef(shuffleId, part.path()));
        cumulativeBytes += part.bytes();
      }
      partitionsLeft--;
      long sharesLeft = shareCount - shares.size() - 1;
      // cut when this share reached its part of the bytes, or when each remaining share needs a partition of its own
      if (sharesLeft > 0
          && (cumulativeBytes * shareCount >= (shares.size() + 1) * totalBytes || partitionsLeft == sharesLeft)) {
        shares.add(share);
        share = new ArrayList<>();
      }
    }
    if (!share.isEmpty()) {
      shares.add(share);
    }
    return shares;
  }

  /** Splits a source in the driver; metrics the source reports meanwhile count as its Read step's. */
  private List<? extends BoundedSource<?>> split(StageInput.Source input) {
    BoundedSource<?> source = input.source();
    MetricsContainerStepMap splitMetrics = new MetricsContainerStepMap();
    try (Closeable scope = MetricsEnvironment.scopedMetricsContainer(splitMetrics.getContainer(input.stepName()))) {
      List<? extends BoundedSource<?>> splits = source.split(bundleSizeBytes, options);
      return splits == null || splits.isEmpty() ? List.of(source) : splits;
    } catch (Exception e) {
      throw new IllegalStateException("cannot split source " + source + ": " + e.getMessage(), e);
    } finally {
      committed.recordDriverMetrics(splitMetrics);
    }
  }

  private TaskSummary runTask(Stage stage, TaskDescriptor task, S3Path taskDir, S3Path descriptor)
      throws TaskFailedException, InterruptedException {
    String lastFailure = "no attempt ran";
    TaskSummary lastSummary = null;
    for (int attempt = 1; attempt <= maxAttempts; ) {
      // Unique per attempt: no two attempts that may run ever share an output prefix (a throttled call never ran).
      S3Path attemptPrefix = taskDir.resolve("attempt-" + attempt + "-" + UUID.randomUUID() + "/");
      openTasks.attempting(descriptor, attemptPrefix);
      byte[] request =
          new InvocationPayloads.Request(descriptor.toString(), attemptPrefix.toString(), workerStore).toJson();
      TaskInvoker.Outcome outcome = throttling.invoke(invoker::invoke, request, () -> false);
      if (outcome instanceof TaskInvoker.Outcome.Throttled gaveUp) {
        lastFailure = gaveUp.message();
        break;
      }
      if (outcome instanceof TaskInvoker.Outcome.Answered answered) {
        TaskSummary summary = InvocationPayloads.summaryFromResponse(answered.responseJson());
        committed.recordAttempt(summary);
        if (summary.succeeded()) {
          openTasks.commit(descriptor, attemptPrefix);
          return summary;
        }
        lastSummary = summary;
        lastFailure = summary.describeError();
      } else {
        TaskInvoker.Outcome.Failed failed = (TaskInvoker.Outcome.Failed) outcome;
        lastSummary = null;
        lastFailure = "worker invocation failed (" + failed.errorType() + "): " + failed.message();
      }
      LOG.warn("{}, task {}, attempt {} of {} failed: {}", stage, task.taskIndex(), attempt, maxAttempts, lastFailure);
      if (attempt++ < maxAttempts) {
        Thread.sleep(backoffMillis(attempt - 1));
      }
    }
    String message =
        stage + ", task " + task.taskIndex() + " failed after " + maxAttempts + " attempt(s): " + lastFailure;
    throw new TaskFailedException(message, lastSummary == null ? null : lastSummary.error().toThrowable());
  }

  private long backoffMillis(int failures) {
    return backoff.toMillis() << Math.max(0, failures - 1);
  }
}
