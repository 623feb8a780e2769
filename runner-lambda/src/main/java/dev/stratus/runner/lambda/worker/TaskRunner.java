package dev.stratus.runner.lambda.worker;

import dev.stratus.runner.lambda.message.CombineSpec;
import dev.stratus.runner.lambda.message.ElementFiles;
import dev.stratus.runner.lambda.message.InvocationPayloads;
import dev.stratus.runner.lambda.message.Messages;
import dev.stratus.runner.lambda.message.Op;
import dev.stratus.runner.lambda.message.ParDoSpec;
import dev.stratus.runner.lambda.message.PartitionRef;
import dev.stratus.runner.lambda.message.Root;
import dev.stratus.runner.lambda.message.ShufflePart;
import dev.stratus.runner.lambda.message.StagePlan;
import dev.stratus.runner.lambda.message.TaskDescriptor;
import dev.stratus.runner.lambda.message.TaskMetrics;
import dev.stratus.runner.lambda.message.TaskSummary;
import dev.stratus.runner.lambda.message.WorkerError;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.apache.beam.runners.core.construction.SerializablePipelineOptions;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.util.UserCodeException;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * Runs one task attempt: reads the descriptor and the stage plan from the store, wires the root and the fused
 * operations together, pushes the partition through them, and reports what it wrote. Any failure becomes a failed
 * summary describing the user's exception (type, message, stack), so the driver can show it as it was.
 */
public final class TaskRunner {
  /** The operation each kind of fused step becomes, one factory per kind. */
  /**
   * A shuffle's map-side buffers, and its reduce side's sorted run in memory, each hold at most the heap over this;
   * beyond, they go to the store and to local disk.
   */
  static final int BUFFER_SHARE_OF_HEAP = 8;

  private static final Map<Class<? extends Op>, BiFunction<Attempt, Op, Operation>> OPERATIONS = new HashMap<>();
  /** The reader each kind of stage root becomes. */
  private static final Map<Class<? extends Root>, BiFunction<Attempt, Root, RootReader>> ROOTS = new HashMap<>();

  static {
    registerOperation(Op.ParDo.class, Attempt::parDo);
    registerOperation(Op.AssignWindows.class, Attempt::assignWindows);
    registerOperation(Op.PartialCombine.class, Attempt::partialCombine);
    registerOperation(Op.MergeAccumulators.class, Attempt::mergeAccumulators);
    registerOperation(Op.Materialize.class, Attempt::materialize);
    registerOperation(Op.ShuffleWrite.class, Attempt::shuffleWrite);
    registerRoot(Root.Impulse.class, Attempt::impulse);
    registerRoot(Root.Source.class, Attempt::source);
    registerRoot(Root.Files.class, Attempt::files);
    registerRoot(Root.GroupByKey.class, Attempt::groupByKey);
    checkEveryKindCovered(Op.class, OPERATIONS.keySet());
    checkEveryKindCovered(Root.class, ROOTS.keySet());
  }

  private static <T extends Op> void registerOperation(Class<T> kind, BiFunction<Attempt, T, Operation> factory) {
    OPERATIONS.put(kind, (attempt, op) -> factory.apply(attempt, kind.cast(op)));
  }

  private static <T extends Root> void registerRoot(Class<T> kind, BiFunction<Attempt, T, RootReader> factory) {
    ROOTS.put(kind, (attempt, root) -> factory.apply(attempt, kind.cast(root)));
  }

  /** What a switch over the sealed interface would check when compiling: a new kind without a factory fails here. */
  private static void checkEveryKindCovered(Class<?> sealed, Set<? extends Class<?>> covered) {
    for (Class<?> kind : sealed.getPermittedSubclasses()) {
      if (!covered.contains(kind)) {
        throw new IllegalStateException("the worker has no factory for " + kind.getName());
      }
    }
  }

  private final ObjectStore store;

  public TaskRunner(ObjectStore store) {
    this.store = store;
  }

  public TaskSummary run(InvocationPayloads.Request request) {
    long started = System.currentTimeMillis();
    long storeNanos = ObjectStore.waitedNanos();
    MetricsContainerStepMap metrics = new MetricsContainerStepMap();
    Attempt attempt =
        new Attempt(
            S3Path.parse(request.attemptPrefix()), new AttemptOutput(store, S3Path.parse(request.task())), metrics);
    try {
      TaskDescriptor task = Messages.read(store.get(S3Path.parse(request.task())), TaskDescriptor.class);
      StagePlan plan = Messages.read(store.get(S3Path.parse(task.plan())), StagePlan.class);
      attempt.run(task, plan);
      return new TaskSummary(
          true,
          attempt.materialized,
          attempt.shuffled,
          attempt.elementsRead,
          attempt.elementsWritten(),
          System.currentTimeMillis() - started,
          attempt.storeMillis(storeNanos),
          TaskMetrics.encode(metrics),
          null);
    } catch (Throwable t) {
      Throwable cause = t instanceof UserCodeException && t.getCause() != null ? t.getCause() : t;
      return new TaskSummary(
          false,
          new LinkedHashMap<>(),
          new LinkedHashMap<>(),
          attempt.elementsRead,
          0,
          System.currentTimeMillis() - started,
          attempt.storeMillis(storeNanos),
          TaskMetrics.encode(metrics),
          WorkerError.of(cause));
    }
  }

  /**
   * The stored plan's options never hold the store's keys; the invocation payload's store does, and DoFns that open
   * the store from their options (the DSL's) get them back here.
   */
  private PipelineOptions withStoreKeys(PipelineOptions options) {
    StoreSpec spec = store.spec();
    if (spec.accessKey() != null) {
      StoreOptions storeOptions = options.as(StoreOptions.class);
      storeOptions.setStoreAccessKey(spec.accessKey());
      storeOptions.setStoreSecretKey(spec.secretKey());
    }
    return options;
  }

  /** The state of one attempt: its operations by input PCollection, and what its writers wrote. */
  private final class Attempt {
    private final S3Path prefix;
    private final AttemptOutput output;
    private final MetricsContainerStepMap metrics;
    private final Map<String, List<Receiver>> consumers = new HashMap<>();
    private final List<Operation> operations = new ArrayList<>();
    private final List<MaterializeOperation> materializers = new ArrayList<>();
    private final List<ShuffleWriteOperation> shuffleWriters = new ArrayList<>();
    final LinkedHashMap<String, String> materialized = new LinkedHashMap<>();
    final LinkedHashMap<String, ArrayList<ShufflePart>> shuffled = new LinkedHashMap<>();
    long elementsRead;
    private TaskDescriptor task;
    private StagePlan plan;
    private PipelineOptions options;

    Attempt(S3Path prefix, AttemptOutput output, MetricsContainerStepMap metrics) {
      this.prefix = prefix;
      this.output = output;
      this.metrics = metrics;
    }

    /** What this attempt waited on the store since {@code storeNanos} ({@link ObjectStore#waitedNanos}), in ms. */
    long storeMillis(long storeNanos) {
      return (ObjectStore.waitedNanos() - storeNanos - output.unwaitedStoreNanos()) / 1_000_000;
    }

    long elementsWritten() {
      return materializers.stream().mapToLong(MaterializeOperation::count).sum()
          + shuffleWriters.stream().mapToLong(ShuffleWriteOperation::count).sum();
    }

    void run(TaskDescriptor task, StagePlan plan) throws Exception {
      this.task = task;
      this.plan = plan;
      ElementMetadataEncoding.set(plan.elementMetadata());
      this.options = withStoreKeys(new SerializablePipelineOptions(plan.pipelineOptions()).get());
      MetricsEnvironment.setMetricsSupported(true);
      // Built last to first, so each operation finds the receivers of its outputs already in place.
      List<Op> ops = plan.ops();
      for (int i = ops.size() - 1; i >= 0; i--) {
        Operation operation = operationFor(ops.get(i));
        operations.add(0, operation);
        consumers.computeIfAbsent(ops.get(i).input(), k -> new ArrayList<>()).add(0, operation);
      }
      try {
        for (Operation operation : operations) {
          operation.start();
        }
        elementsRead = readerFor(plan.root()).emit(receiverOf(plan.root().output()));
        for (Operation operation : operations) {
          operation.finish();
        }
        output.finish();
      } catch (Throwable t) {
        output.abandon();
        throw t;
      } finally {
        for (Operation operation : operations) {
          try {
            operation.close();
          } catch (Exception ignored) {
            // Teardown failures do not change the outcome of the bundle.
          }
        }
      }
    }

    private Receiver receiverOf(String pcollection) {
      return Receiver.fanOut(consumers.getOrDefault(pcollection, List.of()));
    }

    private Operation operationFor(Op op) {
      return OPERATIONS.get(op.getClass()).apply(this, op);
    }

    private RootReader readerFor(Root root) {
      return ROOTS.get(root.getClass()).apply(this, root);
    }

    private Operation parDo(Op.ParDo parDo) {
      ParDoSpec spec = (ParDoSpec) SerializableUtils.deserializeFromByteArray(parDo.spec(), parDo.stepName());
      Map<String, Receiver> outputs = new HashMap<>();
      parDo.outputs().forEach((tag, pcollection) -> outputs.put(tag, receiverOf(pcollection)));
      StoreSideInputReader sideInputs = new StoreSideInputReader(parDo.sideInputs(), this::readSideInput);
      return new ParDoOperation(spec, options, sideInputs, outputs, metrics.getContainer(parDo.stepName()));
    }

    private Operation assignWindows(Op.AssignWindows assign) {
      WindowFn<?, ?> windowFn =
          assign.windowFn() == null
              ? null
              : (WindowFn<?, ?>) SerializableUtils.deserializeFromByteArray(assign.windowFn(), assign.stepName());
      return new AssignWindowsOperation(windowFn, receiverOf(assign.output()));
    }

    private Operation partialCombine(Op.PartialCombine partial) {
      CombineSpec spec = (CombineSpec) SerializableUtils.deserializeFromByteArray(partial.spec(), partial.stepName());
      return new PartialCombineOperation(spec, receiverOf(partial.output()), metrics.getContainer(partial.stepName()));
    }

    private Operation mergeAccumulators(Op.MergeAccumulators merge) {
      CombineSpec spec = (CombineSpec) SerializableUtils.deserializeFromByteArray(merge.spec(), merge.stepName());
      return new MergeAccumulatorsOperation(spec, receiverOf(merge.output()), metrics.getContainer(merge.stepName()));
    }

    private Operation materialize(Op.Materialize materialize) {
      MaterializeOperation writer =
          new MaterializeOperation(
              output, materialize.input(), coder(materialize.input()), prefix.resolve(materialize.input()), materialized);
      materializers.add(writer);
      return writer;
    }

    private Operation shuffleWrite(Op.ShuffleWrite shuffle) {
      ShuffleWriteOperation writer =
          new ShuffleWriteOperation(
              output,
              coder(shuffle.input()),
              shuffle.partitions(),
              prefix.resolve(shuffle.shuffleId()),
              Runtime.getRuntime().maxMemory() / BUFFER_SHARE_OF_HEAP,
              shuffled.computeIfAbsent(shuffle.shuffleId(), k -> new ArrayList<>()));
      shuffleWriters.add(writer);
      return writer;
    }

    private RootReader impulse(Root.Impulse impulse) {
      return downstream -> {
        downstream.accept(WindowedValues.valueInGlobalWindow(new byte[0]));
        return 1;
      };
    }

    private RootReader source(Root.Source source) {
      BoundedSource<?> split =
          (BoundedSource<?>) SerializableUtils.deserializeFromByteArray(task.sourceSplit(), source.stepName());
      return new SourceReader(split, options, metrics.getContainer(source.stepName()));
    }

    private RootReader files(Root.Files files) {
      return downstream -> {
        long count = 0;
        for (PartitionRef ref : task.inputs()) {
          count += ElementFiles.read(store.get(S3Path.parse(ref.path())), coder(ref.pcollection()), downstream::accept);
        }
        return count;
      };
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private RootReader groupByKey(Root.GroupByKey gbk) {
      List<Supplier<byte[]>> files = new ArrayList<>();
      for (PartitionRef ref : task.inputs()) {
        files.add(() -> store.get(S3Path.parse(ref.path())));
      }
      Coder<WindowedValue<KV<Object, Object>>> inputCoder = (Coder) coder(gbk.input());
      WindowingStrategy<?, BoundedWindow> windowing =
          (WindowingStrategy<?, BoundedWindow>)
              SerializableUtils.deserializeFromByteArray(gbk.windowingStrategy(), gbk.stepName());
      return new GroupByKeyReader(
          files, inputCoder, windowing, options, Runtime.getRuntime().maxMemory() / BUFFER_SHARE_OF_HEAP);
    }

    private List<WindowedValue<?>> readSideInput(String pcollection) {
      List<WindowedValue<?>> all = new ArrayList<>();
      for (PartitionRef ref : task.sideInputs().getOrDefault(pcollection, new ArrayList<>())) {
        try {
          ElementFiles.read(store.get(S3Path.parse(ref.path())), coder(ref.pcollection()), all::add);
        } catch (RuntimeException e) {
          throw e;
        } catch (Exception e) {
          throw new IllegalStateException("cannot read side input " + ref, e);
        }
      }
      return all;
    }

    @SuppressWarnings("unchecked")
    private <T> Coder<WindowedValue<T>> coder(String pcollection) {
      byte[] bytes = plan.coders().get(pcollection);
      if (bytes == null) {
        throw new IllegalStateException("stage plan " + plan.name() + " has no coder for " + pcollection);
      }
      return (Coder<WindowedValue<T>>) SerializableUtils.deserializeFromByteArray(bytes, "coder of " + pcollection);
    }
  }
}
