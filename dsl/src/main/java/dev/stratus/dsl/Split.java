package dev.stratus.dsl;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.dataset.DatasetWriter;
import dev.stratus.kernels.dataset.PartitionCodec;
import dev.stratus.kernels.dataset.PartitionSink;
import dev.stratus.kernels.preprocess.RowSplitter;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.S3Path;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Splits a dataset into a train and a test dataset, each row by a hash of its content and a seed: deterministic
 * whatever the partitioning or the runner, and identical rows always fall on the same side.
 *
 * <pre>{@code
 * Split.Result parts = normalized.apply(Split.fraction(0.8).seed(7));
 * PCollection<Dataset> train = parts.train();
 * PCollection<Dataset> test = parts.test();
 * }</pre>
 */
public final class Split extends PTransform<PCollection<Dataset>, Split.Result> {
  private static final TupleTag<WriteSummary> TRAIN = new TupleTag<>() {};
  private static final TupleTag<WriteSummary> TEST = new TupleTag<>() {};

  private final double fraction;
  private final long seed;
  private final String trainLocation;
  private final String testLocation;

  private Split(double fraction, long seed, String trainLocation, String testLocation) {
    this.fraction = fraction;
    this.seed = seed;
    this.trainLocation = trainLocation;
    this.testLocation = testLocation;
  }

  /** About {@code fraction} of the rows go to train, the rest to test; fraction strictly between 0 and 1. */
  public static Split fraction(double fraction) {
    new RowSplitter(fraction, 0); // refuses a fraction outside (0, 1) here, with the value in the message
    return new Split(fraction, 0, null, null);
  }

  /** Another seed gives another split of the same rows; default 0. */
  public Split seed(long newSeed) {
    return new Split(fraction, newSeed, trainLocation, testLocation);
  }

  /** Where to write both sides; default: the input's location plus {@code -train} and {@code -test}. */
  public Split to(String train, String test) {
    PartitionTasks.Output.of(train, null);
    PartitionTasks.Output.of(test, null);
    if (S3Path.parse(train).prefix().equals(S3Path.parse(test).prefix())) {
      throw new IllegalArgumentException("Split.to: train and test need different locations, both are " + train);
    }
    return new Split(fraction, seed, train, test);
  }

  @Override
  public void validate(PipelineOptions options) {
    super.validate(options);
    StoreOptions.spec(options.as(StoreOptions.class));
  }

  @Override
  public Result expand(PCollection<Dataset> input) {
    PartitionTasks.Output train = PartitionTasks.Output.of(trainLocation, "-train");
    PartitionTasks.Output test = PartitionTasks.Output.of(testLocation, "-test");
    PCollectionTuple written = input
        .apply("Tasks", new PartitionTasks("Split", List.of(train, test), true))
        .apply("Split", ParDo.of(new SplitFn(fraction, seed, train, test))
            .withOutputTags(TRAIN, TupleTagList.of(TEST)));
    return new Result(
        input.getPipeline(),
        written.get(TRAIN).apply("CommitTrain", new CommitDataset()),
        written.get(TEST).apply("CommitTest", new CommitDataset()));
  }

  /** The two sides of a split. */
  public static final class Result implements POutput {
    private static final TupleTag<Dataset> TRAIN_DATASET = new TupleTag<>("train");
    private static final TupleTag<Dataset> TEST_DATASET = new TupleTag<>("test");

    private final Pipeline pipeline;
    private final PCollection<Dataset> train;
    private final PCollection<Dataset> test;

    private Result(Pipeline pipeline, PCollection<Dataset> train, PCollection<Dataset> test) {
      this.pipeline = pipeline;
      this.train = train;
      this.test = test;
    }

    public PCollection<Dataset> train() {
      return train;
    }

    public PCollection<Dataset> test() {
      return test;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(TRAIN_DATASET, train, TEST_DATASET, test);
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName, PInput input, PTransform<?, ?> transform) {}
  }

  private static final class SplitFn extends StoreDoFn<PartitionTasks.Task, WriteSummary> {
    private final RowSplitter splitter;
    private final PartitionTasks.Output train;
    private final PartitionTasks.Output test;

    SplitFn(double fraction, long seed, PartitionTasks.Output train, PartitionTasks.Output test) {
      this.splitter = new RowSplitter(fraction, seed);
      this.train = train;
      this.test = test;
    }

    @ProcessElement
    public void process(ProcessContext context) {
      PartitionTasks.Task task = context.element();
      Dataset input = task.input();
      String trainTarget = train.resolve(input);
      String testTarget = test.resolve(input);
      PartitionSink trainSink = DatasetWriter.sink(store, S3Path.parse(trainTarget), Integer.MAX_VALUE);
      PartitionSink testSink = DatasetWriter.sink(store, S3Path.parse(testTarget), Integer.MAX_VALUE);
      try {
        if (task.partition() >= 0) {
          PartitionCodec.Reader rows = DatasetReader.partition(store, input, task.partition());
          while (rows.hasNext()) {
            SparseRow row = rows.next();
            (splitter.first(row) ? trainSink : testSink).add(row);
          }
        }
        // both sides keep the input's layout and scaling (its statistics object was copied to each)
        DatasetManifest template = input.manifest().rewrittenFrom(input.location(), input.manifest().scaling());
        context.output(TRAIN, new WriteSummary(trainTarget, template, trainSink.finish(), 0, trainSink.maxIndex()));
        context.output(TEST, new WriteSummary(testTarget, template, testSink.finish(), 0, testSink.maxIndex()));
      } catch (RuntimeException e) {
        trainSink.abort();
        testSink.abort();
        throw e;
      }
    }
  }
}
