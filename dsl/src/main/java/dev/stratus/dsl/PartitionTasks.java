package dev.stratus.dsl;

import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetWriter;
import dev.stratus.kernels.dataset.Scaling;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.S3Path;
import java.io.Serializable;
import java.util.List;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PCollection;

/**
 * The first step of a transform that rewrites a dataset partition by partition ({@link Normalize},
 * {@link HashFeatures}, {@link Split}): clear its output locations, carry the input's statistics object along, and
 * emit one task per input partition, spread across workers.
 */
final class PartitionTasks extends PTransform<PCollection<Dataset>, PCollection<PartitionTasks.Task>> {
  private final String transformName;
  private final List<Output> outputs;
  private final boolean carryStatistics;

  /**
   * One task: partition {@code partition} of {@code input}; -1 stands for "no partitions", so that an empty dataset
   * still yields an (empty) output.
   */
  @DefaultCoder(SerializableCoder.class)
  record Task(Dataset input, int partition) implements Serializable {}

  /** An output location: {@code explicit}, or the input's location plus {@code suffix}. */
  record Output(String explicit, String suffix) implements Serializable {
    static Output of(String explicit, String suffix) {
      if (explicit != null) {
        S3Path path = S3Path.parse(explicit);
        StoreOptions.checkBucket(path.bucket(), "to(" + explicit + ")");
        if (path.key().isEmpty()) {
          throw new IllegalArgumentException("to: a dataset needs a prefix inside its bucket, e.g. s3://"
              + path.bucket() + "/datasets/name; got '" + explicit + "'");
        }
      }
      return new Output(explicit == null || !explicit.endsWith("/") ? explicit
          : explicit.substring(0, explicit.length() - 1), suffix);
    }

    String resolve(Dataset input) {
      return explicit != null ? explicit : input.location() + suffix;
    }
  }

  /**
   * @param carryStatistics copy the input's statistics object to each output, whose manifest keeps referencing it
   */
  PartitionTasks(String transformName, List<Output> outputs, boolean carryStatistics) {
    this.transformName = transformName;
    this.outputs = List.copyOf(outputs);
    this.carryStatistics = carryStatistics;
  }

  @Override
  public PCollection<Task> expand(PCollection<Dataset> input) {
    return input
        .apply("ListPartitions", ParDo.of(new ListPartitionsFn(transformName, outputs, carryStatistics)))
        .apply("Spread", Reshuffle.viaRandomKey());
  }

  private static final class ListPartitionsFn extends StoreDoFn<Dataset, Task> {
    private final String transformName;
    private final List<Output> outputs;
    private final boolean carryStatistics;

    ListPartitionsFn(String transformName, List<Output> outputs, boolean carryStatistics) {
      this.transformName = transformName;
      this.outputs = outputs;
      this.carryStatistics = carryStatistics;
    }

    @ProcessElement
    public void process(@Element Dataset input, OutputReceiver<Task> out) {
      for (Output output : outputs) {
        String target = output.resolve(input);
        if (S3Path.parse(target).prefix().equals(input.path().prefix())) {
          throw new IllegalArgumentException(
              transformName + " would overwrite its own input " + input.location() + ": choose another .to(...)");
        }
        DatasetWriter.begin(store, S3Path.parse(target));
        Scaling scaling = input.manifest().scaling();
        if (carryStatistics && scaling != null && scaling.statistics() != null) {
          DatasetWriter.copyStatistics(store, input.path(), scaling.statistics(), S3Path.parse(target));
        }
      }
      int partitions = input.manifest().partitions().size();
      if (partitions == 0) {
        out.output(new Task(input, -1));
      }
      for (int k = 0; k < partitions; k++) {
        out.output(new Task(input, k));
      }
    }
  }
}
