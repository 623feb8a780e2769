package dev.stratus.runner.lambda.worker;

import dev.stratus.runner.lambda.message.ElementFiles;
import dev.stratus.store.S3Path;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.values.WindowedValue;

/** Writes this task's share of a PCollection as one object under the attempt prefix (nothing when empty). */
final class MaterializeOperation implements Operation {
  private final AttemptOutput output;
  private final String pcollection;
  private final S3Path path;
  private final ElementFiles.Writer<Object> writer;
  private final Map<String, String> written;

  MaterializeOperation(
      AttemptOutput output, String pcollection, Coder<WindowedValue<Object>> coder, S3Path path, Map<String, String> written) {
    this.output = output;
    this.pcollection = pcollection;
    this.path = path;
    this.writer = new ElementFiles.Writer<>(coder);
    this.written = written;
  }

  @Override
  public void accept(WindowedValue<?> element) {
    writer.add(element);
  }

  @Override
  public void finish() {
    if (writer.count() > 0) {
      output.put(path, writer.toByteArray());
      written.put(pcollection, path.toString());
    }
  }

  long count() {
    return writer.count();
  }
}
