package dev.stratus.runner.lambda.worker;

import dev.stratus.runner.lambda.message.CombineSpec;
import java.io.Closeable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.metrics.MetricsContainer;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Instant;

/**
 * Combiner lifting, map side: one accumulator per key and window for the whole task, so the shuffle carries an
 * accumulator per key and window per task instead of every value. Each accumulator keeps the output timestamp its
 * values would have had, so grouping the accumulators gives the timestamps grouping the values would.
 */
final class PartialCombineOperation implements Operation {
  private final CombineFn<Object, Object, ?> fn;
  private final Coder<Object> keyCoder;
  private final TimestampCombiner timestampCombiner;
  private final Receiver output;
  private final MetricsContainer metrics;
  private final Map<List<Object>, Partial> partials = new LinkedHashMap<>();

  @SuppressWarnings("unchecked")
  PartialCombineOperation(CombineSpec spec, Receiver output, MetricsContainer metrics) {
    this.fn = (CombineFn<Object, Object, ?>) spec.fn();
    this.keyCoder = (Coder<Object>) spec.keyCoder();
    this.timestampCombiner = spec.timestampCombiner();
    this.output = output;
    this.metrics = metrics;
  }

  @Override
  public void accept(WindowedValue<?> element) throws Exception {
    KV<?, ?> kv = (KV<?, ?>) element.getValue();
    try (Closeable scope = MetricsEnvironment.scopedMetricsContainer(metrics)) {
      for (BoundedWindow window : element.getWindows()) {
        Partial partial =
            partials.computeIfAbsent(
                List.of(keyCoder.structuralValue(kv.getKey()), window),
                k -> new Partial(kv.getKey(), window, fn.createAccumulator()));
        partial.accumulator = fn.addInput(partial.accumulator, kv.getValue());
        Instant timestamp = timestampCombiner.assign(window, element.getTimestamp());
        partial.timestamp = partial.timestamp == null ? timestamp : timestampCombiner.combine(partial.timestamp, timestamp);
      }
    }
  }

  @Override
  public void finish() throws Exception {
    for (Partial partial : partials.values()) {
      Object accumulator;
      try (Closeable scope = MetricsEnvironment.scopedMetricsContainer(metrics)) {
        accumulator = fn.compact(partial.accumulator);
      }
      output.accept(
          WindowedValues.of(KV.of(partial.key, accumulator), partial.timestamp, partial.window, PaneInfo.NO_FIRING));
    }
    partials.clear();
  }

  private static final class Partial {
    final Object key;
    final BoundedWindow window;
    Object accumulator;
    Instant timestamp;

    Partial(Object key, BoundedWindow window, Object accumulator) {
      this.key = key;
      this.window = window;
      this.accumulator = accumulator;
    }
  }
}
