package dev.stratus.runner.lambda.worker;

import dev.stratus.runner.lambda.message.CombineSpec;
import java.io.Closeable;
import org.apache.beam.sdk.metrics.MetricsContainer;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;

/** Combiner lifting, reduce side: a key's grouped accumulators merged into one, then its output extracted. */
final class MergeAccumulatorsOperation implements Operation {
  private final CombineFn<?, Object, ?> fn;
  private final Receiver output;
  private final MetricsContainer metrics;

  @SuppressWarnings("unchecked")
  MergeAccumulatorsOperation(CombineSpec spec, Receiver output, MetricsContainer metrics) {
    this.fn = (CombineFn<?, Object, ?>) spec.fn();
    this.output = output;
    this.metrics = metrics;
  }

  @Override
  @SuppressWarnings("unchecked")
  public void accept(WindowedValue<?> element) throws Exception {
    KV<?, Iterable<Object>> grouped = (KV<?, Iterable<Object>>) element.getValue();
    Object result;
    try (Closeable scope = MetricsEnvironment.scopedMetricsContainer(metrics)) {
      result = fn.extractOutput(fn.mergeAccumulators(grouped.getValue()));
    }
    output.accept(element.withValue(KV.of(grouped.getKey(), result)));
  }
}
