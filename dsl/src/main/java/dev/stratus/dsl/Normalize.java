package dev.stratus.dsl;

import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.dataset.DatasetWriter;
import dev.stratus.kernels.dataset.FeatureStatistics;
import dev.stratus.kernels.dataset.Scaling;
import dev.stratus.kernels.dataset.ScalingMethod;
import dev.stratus.kernels.dataset.StatisticsRef;
import dev.stratus.kernels.preprocess.FeatureScaler;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.S3Path;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * Scales every feature of a dataset by a factor from its statistics, keeping rows sparse (see {@link FeatureScaler}
 * for why min-max divides by the largest magnitude and the z-score does not center). Two passes: the per-feature
 * statistics through a Beam {@code Combine} over the partitions, then the scaling. The statistics are stored with the
 * output and named in its manifest, so that a test set can be scaled exactly like its training set:
 *
 * <pre>{@code
 * PCollection<Dataset> train = trainRaw.apply("ScaleTrain", Normalize.minMax());
 * PCollection<Dataset> test = testRaw.apply("ScaleTest", Normalize.minMax().withStatisticsOf(train));
 * }</pre>
 */
public final class Normalize extends PTransform<PCollection<Dataset>, PCollection<Dataset>> {
  private final ScalingMethod method;
  private final String location;
  private final PCollection<Dataset> statisticsOf;

  private Normalize(ScalingMethod method, String location, PCollection<Dataset> statisticsOf) {
    this.method = method;
    this.location = location;
    this.statisticsOf = statisticsOf;
  }

  /** {@link ScalingMethod#MIN_MAX_SCALING}: each feature divided by its largest absolute value. */
  public static Normalize minMax() {
    return new Normalize(ScalingMethod.MIN_MAX_SCALING, null, null);
  }

  /** {@link ScalingMethod#STANDARD}: each feature divided by its standard deviation. */
  public static Normalize standard() {
    return new Normalize(ScalingMethod.STANDARD, null, null);
  }

  public static Normalize of(ScalingMethod method) {
    if (method == null) {
      throw new IllegalArgumentException("Normalize needs a scaling method: MIN_MAX_SCALING or STANDARD");
    }
    return new Normalize(method, null, null);
  }

  /** Where to write the output; default: the input's location plus {@code -minmax} or {@code -standard}. */
  public Normalize to(String datasetLocation) {
    PartitionTasks.Output.of(datasetLocation, null);
    return new Normalize(method, datasetLocation, statisticsOf);
  }

  /**
   * Scale with the statistics recorded by the {@code Normalize} that produced {@code reference} (a normalized
   * training set) instead of computing them from the input.
   */
  public Normalize withStatisticsOf(PCollection<Dataset> reference) {
    if (reference == null) {
      throw new IllegalArgumentException("withStatisticsOf needs the normalized dataset whose statistics to use");
    }
    return new Normalize(method, location, reference);
  }

  @Override
  public void validate(PipelineOptions options) {
    super.validate(options);
    StoreOptions.spec(options.as(StoreOptions.class));
  }

  @Override
  public PCollection<Dataset> expand(PCollection<Dataset> input) {
    PartitionTasks.Output output = PartitionTasks.Output.of(
        location, method == ScalingMethod.MIN_MAX_SCALING ? "-minmax" : "-standard");
    PCollectionView<Dataset> inputView = input.apply("InputView", View.asSingleton());
    PCollection<PartitionTasks.Task> tasks =
        input.apply("Tasks", new PartitionTasks("Normalize", List.of(output), false));
    PCollection<Scaling> scaling;
    if (statisticsOf == null) {
      scaling = tasks
          .apply("PartitionStatistics", ParDo.of(new PartitionStatisticsFn()))
          .apply("MergeStatistics", Combine.globally(FeatureStatistics::merge).withoutDefaults())
          .apply("SaveStatistics", ParDo.of(new SaveStatisticsFn(method, output, inputView)).withSideInputs(inputView));
    } else {
      scaling = statisticsOf.apply(
          "CopyStatistics", ParDo.of(new CopyStatisticsFn(method, output, inputView)).withSideInputs(inputView));
    }
    PCollectionView<Scaling> scalingView = scaling.apply("ScalingView", View.asSingleton());
    return tasks
        .apply("Scale", ParDo.of(new ScaleFn(output, scalingView)).withSideInputs(scalingView))
        .apply("Commit", new CommitDataset());
  }

  /** Pass 1: the statistics of one partition. */
  private static final class PartitionStatisticsFn extends StoreDoFn<PartitionTasks.Task, FeatureStatistics> {
    @ProcessElement
    public void process(@Element PartitionTasks.Task task, OutputReceiver<FeatureStatistics> out) {
      FeatureStatistics.Builder statistics = FeatureStatistics.builder();
      if (task.partition() >= 0) {
        DatasetReader.partition(store, task.input(), task.partition()).forEachRemaining(statistics::add);
      }
      out.output(statistics.build());
    }
  }

  /** Stores the merged statistics with the output dataset. */
  private static final class SaveStatisticsFn extends StoreDoFn<FeatureStatistics, Scaling> {
    private final ScalingMethod method;
    private final PartitionTasks.Output output;
    private final PCollectionView<Dataset> inputView;

    SaveStatisticsFn(ScalingMethod method, PartitionTasks.Output output, PCollectionView<Dataset> inputView) {
      this.method = method;
      this.output = output;
      this.inputView = inputView;
    }

    @ProcessElement
    public void process(ProcessContext context) {
      Dataset input = context.sideInput(inputView);
      S3Path target = S3Path.parse(output.resolve(input));
      StatisticsRef ref = DatasetWriter.writeStatistics(store, target, context.element());
      context.output(new Scaling(method, ref, input.location()));
    }
  }

  /** Copies the reference dataset's statistics to the output dataset. */
  private static final class CopyStatisticsFn extends StoreDoFn<Dataset, Scaling> {
    private final ScalingMethod method;
    private final PartitionTasks.Output output;
    private final PCollectionView<Dataset> inputView;

    CopyStatisticsFn(ScalingMethod method, PartitionTasks.Output output, PCollectionView<Dataset> inputView) {
      this.method = method;
      this.output = output;
      this.inputView = inputView;
    }

    @ProcessElement
    public void process(ProcessContext context) {
      Dataset reference = context.element();
      Dataset input = context.sideInput(inputView);
      Scaling used = reference.manifest().scaling();
      if (used == null || used.statistics() == null) {
        throw new IllegalArgumentException("withStatisticsOf(" + reference.location() + "): that dataset records no"
            + " statistics; pass the output of the Normalize applied to the training set");
      }
      if (reference.featureCount() != input.featureCount()) {
        throw new IllegalArgumentException("withStatisticsOf(" + reference.location() + "): its "
            + reference.featureCount() + " features do not match the " + input.featureCount() + " of "
            + input.location());
      }
      S3Path target = S3Path.parse(output.resolve(input));
      DatasetWriter.copyStatistics(store, reference.path(), used.statistics(), target);
      context.output(new Scaling(method, used.statistics(), used.statisticsOf()));
    }
  }

  /** Pass 2: scales one partition. */
  private static final class ScaleFn extends RewritePartitionFn {
    private final PCollectionView<Scaling> scalingView;
    private transient String scalerFor;
    private transient FeatureScaler scaler;

    ScaleFn(PartitionTasks.Output output, PCollectionView<Scaling> scalingView) {
      super(output);
      this.scalingView = scalingView;
    }

    @Override
    Rewrite rewrite(ProcessContext context, Dataset input) {
      Scaling scaling = context.sideInput(scalingView);
      S3Path target = S3Path.parse(output().resolve(input));
      String key = target + "/" + scaling.statistics().name() + "/" + scaling.method();
      if (!key.equals(scalerFor)) { // one load of the statistics per worker, not per partition
        scaler = new FeatureScaler(DatasetReader.statistics(store, target, scaling.statistics()), scaling.method());
        scalerFor = key;
      }
      DatasetManifest template = input.manifest().rewrittenFrom(input.location(), scaling);
      return new Rewrite(scaler::scale, template);
    }
  }
}
