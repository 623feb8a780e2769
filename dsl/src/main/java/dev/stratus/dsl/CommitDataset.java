package dev.stratus.dsl;

import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetWriter;
import dev.stratus.store.S3Path;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * The last step of every transform that writes a dataset: gather what its workers wrote and commit the manifest. Until
 * this step succeeds nothing is visible at the location, so a failure anywhere before leaves no dataset behind.
 */
final class CommitDataset extends PTransform<PCollection<WriteSummary>, PCollection<Dataset>> {
  @Override
  public PCollection<Dataset> expand(PCollection<WriteSummary> written) {
    return written
        .apply("Gather", Combine.globally(WriteSummary::merge).withoutDefaults())
        .apply("WriteManifest", ParDo.of(new CommitFn()));
  }

  private static final class CommitFn extends StoreDoFn<WriteSummary, Dataset> {
    @ProcessElement
    public void process(@Element WriteSummary summary, OutputReceiver<Dataset> out) {
      out.output(DatasetWriter.commit(store, S3Path.parse(summary.location()), summary.manifest()));
    }
  }
}
