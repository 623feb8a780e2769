package dev.stratus.benchmarks.training;

import dev.stratus.dsl.LoadCriteo;
import dev.stratus.dsl.Normalize;
import dev.stratus.dsl.Split;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.dataset.DatasetWriter;
import dev.stratus.kernels.generate.CriteoGenerator;
import dev.stratus.kernels.sgd.ClassifierMetrics;
import dev.stratus.kernels.sgd.LinearModel;
import dev.stratus.kernels.sgd.TrainedModel;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * The training benchmarks' data: generated Criteo rows loaded, min-max normalized and split by the DSL on the
 * DirectRunner into training rows (90%), a validation set (5%) for the monitor to stop on and choose by, and a test set
 * (5%) that only reports, into an embedded store under {@code benchmarks/data/}. Kept between runs (it is
 * deterministic for a seed), so a benchmark measures training, not preprocessing.
 */
public final class BenchmarkData {
  public static final int MODEL_BITS = 19;
  public static final long SEED = 1;
  /** Partitions of a few thousand rows, so that two workers share even a small training set. */
  private static final int ROWS_PER_PARTITION = 5_000;

  public final ObjectStore store;
  public final Dataset train;
  /** What a training's monitor watches: rows neither trained on nor reported. */
  public final Dataset validation;
  /** What every system's loss is reported on. */
  public final Dataset test;
  public final double plantedLogloss;

  private BenchmarkData(ObjectStore store, Dataset train, Dataset validation, Dataset test, double plantedLogloss) {
    this.store = store;
    this.train = train;
    this.validation = validation;
    this.test = test;
    this.plantedLogloss = plantedLogloss;
  }

  public static BenchmarkData prepare(long rows) throws Exception {
    Path dir = home().resolve("data");
    StoreOptions options = storeOptions();
    ObjectStore store = store(options);
    String root = root(rows);
    Path tsv = dir.resolve("criteo-" + rows + "-" + SEED + ".tsv");
    // The generator is fast and deterministic: running it again is how we learn the planted model's loss.
    Files.createDirectories(dir);
    CriteoGenerator.Summary generated = CriteoGenerator.withSeed(SEED).writeTsv(tsv, rows);
    if (!store.exists(S3Path.parse(root + "/test/manifest.json"))) {
      long start = System.nanoTime();
      Pipeline p = Pipeline.create(options);
      p.apply(LoadCriteo.from(tsv.toString()).modelBits(MODEL_BITS).rowsPerPartition(50_000).to(root + "/raw"))
          .apply(Normalize.minMax().to(root + "/normalized"))
          .apply(Split.fraction(0.9).seed(SEED).to(root + "/train", root + "/held-out"))
          .test()
          .apply(Split.fraction(0.5).seed(SEED + 1).to(root + "/validation", root + "/test"));
      p.run().waitUntilFinish();
      System.out.printf("prepared %,d rows in %.1f s%n", rows, (System.nanoTime() - start) / 1e9);
    }
    return open(store, rows, generated.bayesLogloss());
  }

  /**
   * Rows of {@code features} features made elsewhere (another generator, a bundled data set), as a split under
   * {@code s3://bench/NAME}: written unless a run before wrote them, so {@code name} must tell the rows apart (their
   * generator, size and seed). Their planted loss is unknown here, NaN.
   */
  public static BenchmarkData written(String name, int features, List<SparseRow> train, List<SparseRow> validation,
      List<SparseRow> test) {
    ObjectStore store = store(storeOptions());
    S3Path root = S3Path.parse("s3://bench/" + name);
    if (!store.exists(root.resolve("test").resolve(DatasetManifest.NAME))) {
      DatasetManifest template = DatasetManifest.template(features, List.of(), name, null);
      DatasetWriter.write(store, root.resolve("train"), train, template, ROWS_PER_PARTITION);
      DatasetWriter.write(store, root.resolve("validation"), validation, template, ROWS_PER_PARTITION);
      DatasetWriter.write(store, root.resolve("test"), test, template, ROWS_PER_PARTITION);
    }
    return new BenchmarkData(store, Dataset.open(store, root.resolve("train")),
        Dataset.open(store, root.resolve("validation")), Dataset.open(store, root.resolve("test")), Double.NaN);
  }

  private static StoreOptions storeOptions() {
    return PipelineOptionsFactory.fromArgs("--dataDir=" + home().resolve("data").resolve("store"), "--bucket=bench")
        .as(StoreOptions.class);
  }

  private static ObjectStore store(StoreOptions options) {
    ObjectStore store = ObjectStore.of(StoreOptions.spec(options));
    store.ensureBucket("bench");
    return store;
  }

  /**
   * The data {@link #prepare} left in {@code store} for {@code rows} rows, opened without generating the rows again
   * (for a process that runs a training on it): the planted model's loss is then unknown, NaN.
   */
  public static BenchmarkData open(ObjectStore store, long rows) {
    return open(store, rows, Double.NaN);
  }

  private static BenchmarkData open(ObjectStore store, long rows, double plantedLogloss) {
    String root = root(rows);
    return new BenchmarkData(store, Dataset.open(store, S3Path.parse(root + "/train")),
        Dataset.open(store, S3Path.parse(root + "/validation")), Dataset.open(store, S3Path.parse(root + "/test")),
        plantedLogloss);
  }

  /** Where the data of {@code rows} rows are, split in three ("3way"). */
  private static String root(long rows) {
    return "s3://bench/criteo-" + rows + "-" + SEED + "-3way";
  }

  /** benchmarks/, where data and results are kept. */
  public static Path home() {
    return Path.of(System.getProperty("benchmarks.dir", "benchmarks")).toAbsolutePath();
  }

  /** The first {@code limit} test rows, in memory. */
  public SparseRow[] testRows(int limit) {
    return DatasetReader.firstRows(store, test, limit);
  }

  /** The model {@code result} kept (written to this store) measured on {@code rows}: its test figures. */
  public ClassifierMetrics keptModelOn(TrainResult result, SparseRow[] rows) {
    return LinearModel.fromBytes(store.get(S3Path.parse(result.modelPath())), result.modelPath()).evaluate(rows);
  }

  /** The model a training kept, of any kind: a linear model, or a factorization. */
  public TrainedModel keptModel(TrainResult result) {
    return TrainedModel.fromBytes(store.get(S3Path.parse(result.modelPath())), result.modelPath());
  }

  /** The first {@code limit} validation rows, in memory. */
  public SparseRow[] validationRows(int limit) {
    return DatasetReader.firstRows(store, validation, limit);
  }
}
