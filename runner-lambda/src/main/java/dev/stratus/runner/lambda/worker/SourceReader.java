package dev.stratus.runner.lambda.worker;

import java.io.Closeable;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.metrics.MetricsContainer;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.WindowedValues;

/**
 * Reads one split of a bounded source into the global window, at the timestamps the source gives. The source's own
 * metrics go to the Read step's container.
 */
final class SourceReader implements RootReader {
  private final BoundedSource<?> source;
  private final PipelineOptions options;
  private final MetricsContainer metrics;

  SourceReader(BoundedSource<?> source, PipelineOptions options, MetricsContainer metrics) {
    this.source = source;
    this.options = options;
    this.metrics = metrics;
  }

  @Override
  public long emit(Receiver downstream) throws Exception {
    long count = 0;
    try (Closeable scope = MetricsEnvironment.scopedMetricsContainer(metrics);
        BoundedSource.BoundedReader<?> reader = source.createReader(options)) {
      for (boolean more = reader.start(); more; more = reader.advance()) {
        Object value = reader.getCurrent();
        downstream.accept(WindowedValues.timestampedValueInGlobalWindow(value, reader.getCurrentTimestamp()));
        count++;
      }
    }
    return count;
  }
}
