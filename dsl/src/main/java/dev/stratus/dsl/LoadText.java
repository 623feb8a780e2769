package dev.stratus.dsl;

import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.dataset.DatasetWriter;
import dev.stratus.kernels.dataset.PartitionInfo;
import dev.stratus.kernels.dataset.PartitionSink;
import dev.stratus.kernels.text.FileRange;
import dev.stratus.kernels.text.InputFiles;
import dev.stratus.kernels.text.RowParser;
import dev.stratus.kernels.text.TextFormat;
import dev.stratus.kernels.text.TextLoader;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.nio.file.Path;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * What the text loaders ({@link LoadLibsvm}, {@link LoadCriteo}, {@link LoadCsv}, {@link LoadRatings}) share: the input
 * (a local or {@code s3://} file, directory, prefix or glob; a relative local path is resolved against the driver's
 * working directory when the loader is built, and local files must be readable where the workers run), the location of
 * the dataset, the partition size, the bad-record policy, and the pipeline: list the input files, cut them into ranges
 * of lines, parse the ranges in parallel into partitions, commit.
 *
 * @param <SelfT> the concrete loader, so that the shared builder methods return it
 */
public abstract class LoadText<SelfT extends LoadText<SelfT>> extends PTransform<PBegin, PCollection<Dataset>> {
  /** The Beam counter of skipped malformed records. */
  public static final String BAD_RECORDS_COUNTER = "badRecords";
  /** Input bytes one task parses by default: a few partitions' worth, seconds of work. */
  public static final long DEFAULT_BYTES_PER_TASK = 64L << 20;

  private final String input;
  private String location;
  private int rowsPerPartition = DatasetWriter.DEFAULT_ROWS_PER_PARTITION;
  private BadRecords badRecords = BadRecords.FAIL;
  private long bytesPerTask = DEFAULT_BYTES_PER_TASK;

  LoadText(String input) {
    if (input == null || input.isBlank()) {
      throw new IllegalArgumentException("the input must name a file, directory, prefix or glob");
    }
    if (S3Path.isS3(input)) {
      S3Path.parse(input);
      this.input = input;
    } else {
      // Resolved here, on the driver: a worker's working directory is its own, not the author's.
      this.input = Path.of(input).toAbsolutePath().normalize().toString();
    }
  }

  /** Where to write the dataset, {@code s3://bucket/prefix}; default {@code s3://<--bucket>/datasets/<input name>}. */
  public SelfT to(String datasetLocation) {
    S3Path path = S3Path.parse(datasetLocation);
    if (path.key().isEmpty() || path.key().equals("/")) {
      throw new IllegalArgumentException("to: a dataset needs a prefix inside its bucket, e.g. s3://" + path.bucket()
          + "/datasets/name; got '" + datasetLocation + "'");
    }
    StoreOptions.checkBucket(path.bucket(), "to(" + datasetLocation + ")");
    this.location = datasetLocation.endsWith("/")
        ? datasetLocation.substring(0, datasetLocation.length() - 1)
        : datasetLocation;
    return self();
  }

  /** Rows per partition object (default 100,000): the unit a worker reads and a Lambda holds in memory. */
  public SelfT rowsPerPartition(int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("rowsPerPartition must be at least 1, got " + rows);
    }
    this.rowsPerPartition = rows;
    return self();
  }

  /** Fail on a malformed line (default) or skip and count it. */
  public SelfT badRecords(BadRecords policy) {
    if (policy == null) {
      throw new IllegalArgumentException("badRecords: FAIL or SKIP, not null");
    }
    this.badRecords = policy;
    return self();
  }

  /**
   * Input bytes one task parses at most (default 64 MB): larger files are cut into ranges of one size, as few as that
   * allows, each parsed from its first line boundary, in parallel. Compressed ({@code .gz}) files are read whole by
   * one task.
   */
  public SelfT bytesPerTask(long bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException("bytesPerTask must be at least 1, got " + bytes);
    }
    this.bytesPerTask = bytes;
    return self();
  }

  /** The parser settings; builder arguments were checked when given. */
  abstract TextFormat format();

  /** The format's name and settings, for the manifest's {@code source}. */
  abstract String describeFormat();

  @SuppressWarnings("unchecked")
  private SelfT self() {
    return (SelfT) this;
  }

  @Override
  public void validate(PipelineOptions options) {
    super.validate(options);
    StoreOptions.spec(options.as(StoreOptions.class));
  }

  @Override
  public PCollection<Dataset> expand(PBegin begin) {
    StoreOptions options = begin.getPipeline().getOptions().as(StoreOptions.class);
    String target = location != null
        ? location
        : "s3://" + options.getBucket() + "/datasets/" + InputFiles.baseName(input);
    String source = describeFormat() + " " + input;
    return begin
        .apply("Input", Read.from(new InputRanges(input, target, bytesPerTask, null)))
        .apply("Parse", ParDo.of(new ParseRangeFn(format(), target, rowsPerPartition, badRecords, source)))
        .apply("Commit", new CommitDataset());
  }

  /**
   * The input's ranges of lines, found where the runner plans its reads: its split gives one source per range, so on
   * LambdaRunner the driver lists the files (its store client and classes warm) and each range is a parsing task from
   * the start, with no task before them that only lists files in a cold environment. Listing also clears the target:
   * from then until the commit no dataset is visible there. A runner that reads this source unsplit lists as it reads.
   */
  static final class InputRanges extends BoundedSource<FileRange> {
    private final String input;
    private final String target;
    private final long bytesPerTask;
    private final FileRange range; // null: the whole input, not listed yet

    InputRanges(String input, String target, long bytesPerTask, FileRange range) {
      this.input = input;
      this.target = target;
      this.bytesPerTask = bytesPerTask;
      this.range = range;
    }

    @Override
    public List<InputRanges> split(long desiredBundleSizeBytes, PipelineOptions options) {
      if (range != null) {
        return List.of(this);
      }
      return listAndClearTarget(options).stream()
          .map(r -> new InputRanges(input, target, bytesPerTask, r))
          .toList();
    }

    private List<FileRange> listAndClearTarget(PipelineOptions options) {
      ObjectStore store = ObjectStore.of(StoreOptions.spec(options.as(StoreOptions.class)));
      List<FileRange> ranges = InputFiles.ranges(InputFiles.expand(input, () -> store), bytesPerTask, () -> store);
      DatasetWriter.begin(store, S3Path.parse(target));
      return ranges;
    }

    /** A cut range's bytes; 0, unknown, for a range to the end of its file and for the input before listing. */
    @Override
    public long getEstimatedSizeBytes(PipelineOptions options) {
      return range == null || range.end() == Long.MAX_VALUE ? 0 : range.end() - range.start();
    }

    @Override
    public BoundedReader<FileRange> createReader(PipelineOptions options) {
      return new RangesReader(this, range != null ? List.of(range) : listAndClearTarget(options));
    }

    @Override
    public Coder<FileRange> getOutputCoder() {
      return SerializableCoder.of(FileRange.class);
    }

    @Override
    public String toString() {
      return range != null ? "range " + range + " of " + input : "the input " + input;
    }
  }

  /** Hands out a source's ranges in order. */
  private static final class RangesReader extends BoundedSource.BoundedReader<FileRange> {
    private final InputRanges source;
    private final List<FileRange> ranges;
    private int next;

    RangesReader(InputRanges source, List<FileRange> ranges) {
      this.source = source;
      this.ranges = ranges;
    }

    @Override
    public boolean start() {
      return advance();
    }

    @Override
    public boolean advance() {
      return ++next <= ranges.size();
    }

    @Override
    public FileRange getCurrent() {
      if (next < 1 || next > ranges.size()) {
        throw new NoSuchElementException();
      }
      return ranges.get(next - 1);
    }

    @Override
    public void close() {}

    @Override
    public InputRanges getCurrentSource() {
      return source;
    }
  }

  /** Parses one range of a file into partitions; on failure deletes what it wrote (best effort) and fails the load. */
  private static final class ParseRangeFn extends StoreDoFn<FileRange, WriteSummary> {
    private final Counter badRecordsCounter = Metrics.counter(LoadText.class, BAD_RECORDS_COUNTER);
    private final TextFormat format;
    private final String target;
    private final int rowsPerPartition;
    private final BadRecords badRecords;
    private final String source;

    ParseRangeFn(TextFormat format, String target, int rowsPerPartition, BadRecords badRecords, String source) {
      this.format = format;
      this.target = target;
      this.rowsPerPartition = rowsPerPartition;
      this.badRecords = badRecords;
      this.source = source;
    }

    @ProcessElement
    public void process(@Element FileRange range, OutputReceiver<WriteSummary> out) {
      PartitionSink sink = DatasetWriter.sink(store, S3Path.parse(target), rowsPerPartition);
      RowParser parser = format.newParser();
      try {
        TextLoader.Result result = TextLoader.load(range, offset -> InputFiles.open(range.file(), offset, () -> store),
            parser, badRecords == BadRecords.SKIP, sink::add);
        List<PartitionInfo> partitions = sink.finish();
        badRecordsCounter.inc(result.badRecords());
        DatasetManifest template =
            DatasetManifest.template(parser.featureCount(), parser.namedFeatures(), source, null)
                .withUsers(parser.users());
        out.output(new WriteSummary(target, template, partitions, result.badRecords(), sink.maxIndex()));
      } catch (RuntimeException e) {
        sink.abort();
        throw e;
      }
    }
  }
}
