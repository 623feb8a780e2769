package dev.stratus.dsl;

import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.dataset.Scaling;
import dev.stratus.kernels.preprocess.FeatureRehasher;
import dev.stratus.spi.StoreOptions;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Re-hashes a dataset into a smaller feature space of {@code 2^bits} (a smaller model): named features such as
 * Criteo's I1..I13 keep their indices, the others are hashed again and colliding values summed.
 *
 * <pre>{@code
 * PCollection<Dataset> small = criteo.apply(HashFeatures.toBits(16));
 * }</pre>
 */
public final class HashFeatures extends PTransform<PCollection<Dataset>, PCollection<Dataset>> {
  private final int bits;
  private final String location;

  private HashFeatures(int bits, String location) {
    this.bits = bits;
    this.location = location;
  }

  /** The output's feature space has {@code 2^bits} indices, 1..30. */
  public static HashFeatures toBits(int bits) {
    if (bits < 1 || bits > 30) {
      throw new IllegalArgumentException("HashFeatures.toBits: bits must be in 1..30, got " + bits);
    }
    return new HashFeatures(bits, null);
  }

  /** Where to write the output; default: the input's location plus {@code -h<bits>}. */
  public HashFeatures to(String datasetLocation) {
    PartitionTasks.Output.of(datasetLocation, null);
    return new HashFeatures(bits, datasetLocation);
  }

  @Override
  public void validate(PipelineOptions options) {
    super.validate(options);
    StoreOptions.spec(options.as(StoreOptions.class));
  }

  @Override
  public PCollection<Dataset> expand(PCollection<Dataset> input) {
    PartitionTasks.Output output = PartitionTasks.Output.of(location, "-h" + bits);
    return input
        .apply("Tasks", new PartitionTasks("HashFeatures", List.of(output), false))
        .apply("Rehash", ParDo.of(new RehashFn(output, bits)))
        .apply("Commit", new CommitDataset());
  }

  private static final class RehashFn extends RewritePartitionFn {
    private final int bits;

    RehashFn(PartitionTasks.Output output, int bits) {
      super(output);
      this.bits = bits;
    }

    @Override
    Rewrite rewrite(ProcessContext context, Dataset input) {
      List<String> named = input.manifest().namedFeatures();
      if (named.size() >= (1L << bits)) {
        throw new IllegalArgumentException("HashFeatures.toBits(" + bits + "): 2^" + bits + " features cannot hold the "
            + named.size() + " named features of " + input.location());
      }
      // scaled values stay scaled, but the statistics describe the old indices: the manifest keeps only the method
      Scaling scaling = input.manifest().scaling();
      Scaling kept = scaling == null ? null : new Scaling(scaling.method(), null, scaling.statisticsOf());
      DatasetManifest template = DatasetManifest.template(1L << bits, named, input.location(), kept);
      return new Rewrite(new FeatureRehasher(bits, named.size())::rehash, template);
    }
  }
}
