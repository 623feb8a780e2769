package dev.stratus.dsl;

import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetCoder;
import dev.stratus.store.S3Path;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * A dataset written earlier, by this pipeline's author or another: its manifest is read when the pipeline runs, and
 * a location without one is refused with the reason.
 *
 * <pre>{@code
 * PCollection<Dataset> train = p.apply(ReadDataset.from("s3://stratus/criteo/train"));
 * }</pre>
 */
public final class ReadDataset extends PTransform<PBegin, PCollection<Dataset>> {
  private final String location;

  private ReadDataset(String location) {
    this.location = location;
  }

  public static ReadDataset from(String location) {
    S3Path.parse(location);
    return new ReadDataset(location);
  }

  @Override
  public PCollection<Dataset> expand(PBegin begin) {
    return begin
        .apply("Location", Create.of(location).withCoder(StringUtf8Coder.of()))
        .apply("OpenManifest", ParDo.of(new OpenFn()))
        .setCoder(DatasetCoder.of());
  }

  static final class OpenFn extends StoreDoFn<String, Dataset> {
    @ProcessElement
    public void process(@Element String location, OutputReceiver<Dataset> out) {
      out.output(Dataset.open(store, S3Path.parse(location)));
    }
  }
}
