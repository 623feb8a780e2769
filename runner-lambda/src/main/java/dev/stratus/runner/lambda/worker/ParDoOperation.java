package dev.stratus.runner.lambda.worker;

import dev.stratus.runner.lambda.message.ParDoSpec;
import java.io.Closeable;
import java.util.Map;
import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.SideInputReader;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.metrics.MetricsContainer;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.reflect.DoFnInvoker;
import org.apache.beam.sdk.transforms.reflect.DoFnInvokers;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowedValue;

/** Runs one DoFn through runners-core's {@link DoFnRunners#simpleRunner}, with its own metrics container. */
final class ParDoOperation implements Operation {
  private final ParDoSpec spec;
  private final PipelineOptions options;
  private final SideInputReader sideInputs;
  private final Map<String, Receiver> outputsByTagId;
  private final MetricsContainer metrics;
  private DoFnInvoker<?, ?> invoker;
  private DoFnRunner<Object, Object> runner;

  ParDoOperation(
      ParDoSpec spec,
      PipelineOptions options,
      SideInputReader sideInputs,
      Map<String, Receiver> outputsByTagId,
      MetricsContainer metrics) {
    this.spec = spec;
    this.options = options;
    this.sideInputs = sideInputs;
    this.outputsByTagId = outputsByTagId;
    this.metrics = metrics;
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void start() throws Exception {
    DoFn<Object, Object> fn = (DoFn<Object, Object>) spec.fn();
    try (Closeable scope = MetricsEnvironment.scopedMetricsContainer(metrics)) {
      invoker = DoFnInvokers.tryInvokeSetupFor(fn, options);
      runner =
          DoFnRunners.simpleRunner(
              options,
              fn,
              sideInputs,
              this::emit,
              (TupleTag<Object>) spec.mainOutputTag(),
              spec.additionalOutputTags(),
              NO_STATE,
              (org.apache.beam.sdk.coders.Coder) spec.inputCoder(),
              spec.outputCoders(),
              spec.windowingStrategy(),
              spec.schemaInformation(),
              spec.sideInputMapping());
      runner.startBundle();
    }
  }

  private <T> void emit(TupleTag<T> tag, WindowedValue<T> element) {
    Receiver out = outputsByTagId.get(tag.getId());
    if (out == null) {
      return;
    }
    try {
      out.accept(element);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public void accept(WindowedValue<?> element) throws Exception {
    try (Closeable scope = MetricsEnvironment.scopedMetricsContainer(metrics)) {
      runner.processElement((WindowedValue<Object>) element);
    }
  }

  @Override
  public void finish() throws Exception {
    try (Closeable scope = MetricsEnvironment.scopedMetricsContainer(metrics)) {
      runner.finishBundle();
    }
  }

  @Override
  public void close() throws Exception {
    if (invoker != null) {
      try (Closeable scope = MetricsEnvironment.scopedMetricsContainer(metrics)) {
        invoker.invokeTeardown();
      }
    }
  }

  /** A batch runner without state or timers: DoFns that declare them are excluded from what this runner accepts. */
  private static final StepContext NO_STATE =
      new StepContext() {
        @Override
        public StateInternals stateInternals() {
          throw new UnsupportedOperationException("LambdaRunner does not support state in DoFns");
        }

        @Override
        public TimerInternals timerInternals() {
          throw new UnsupportedOperationException("LambdaRunner does not support timers in DoFns");
        }
      };
}
