package dev.stratus.runner.lambda.worker;

import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.WindowedValues;

/** Reads one split of a bounded source into the global window, at the timestamps the source gives. */
final class SourceReader implements RootReader {
  private final BoundedSource<?> source;
  private final PipelineOptions options;

  SourceReader(BoundedSource<?> source, PipelineOptions options) {
    this.source = source;
    this.options = options;
  }

  @Override
  public long emit(Receiver downstream) throws Exception {
    long count = 0;
    try (BoundedSource.BoundedReader<?> reader = source.createReader(options)) {
      for (boolean more = reader.start(); more; more = reader.advance()) {
        downstream.accept(WindowedValues.timestampedValueInGlobalWindow(reader.getCurrent(), reader.getCurrentTimestamp()));
        count++;
      }
    }
    return count;
  }
}
