package dev.stratus.dsl;

import dev.stratus.kernels.sgd.ClassifierMetrics;
import dev.stratus.kernels.sgd.ConfusionMatrix;
import dev.stratus.kernels.sgd.ModelMetrics;
import dev.stratus.kernels.sgd.RegressionMetrics;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Writes metrics as a small JSON object to the store, where the driver (or anyone) reads them after the run, whichever
 * runner computed them: on LambdaRunner nothing a worker prints reaches the driver. A classifier's ({@link Evaluate})
 * or a factorization's ({@link EvaluateRatings}).
 *
 * <pre>{@code
 * testSet.apply(Evaluate.with(model)).apply(WriteMetrics.to("s3://bucket/run-1/metrics.json"));
 * p.run().waitUntilFinish();
 * ClassifierMetrics m = WriteMetrics.read(store, "s3://bucket/run-1/metrics.json", ClassifierMetrics.class);
 * }</pre>
 */
public final class WriteMetrics<M extends ModelMetrics> extends PTransform<PCollection<M>, PCollection<String>> {
  private static final Pattern FIELD = Pattern.compile("\"(\\w+)\"\\s*:\\s*([^,}\\s]+)");
  private static final Pattern CONFUSION = Pattern.compile("\"confusion\"\\s*:\\s*\\[(.*)]");
  private static final Pattern CONFUSION_ROW = Pattern.compile("\\[([^\\[\\]]*)]");

  private final String location;

  private WriteMetrics(String location) {
    this.location = location;
  }

  /** The object to write, {@code s3://bucket/key}; the output is that location once written. */
  public static <M extends ModelMetrics> WriteMetrics<M> to(String location) {
    S3Path path = S3Path.parse(location);
    StoreOptions.checkBucket(path.bucket(), "WriteMetrics.to(" + location + ")");
    return new WriteMetrics<>(location);
  }

  /** The metrics of {@code kind} written at {@code location}; a clear error when the object holds another kind. */
  public static <M extends ModelMetrics> M read(ObjectStore store, String location, Class<M> kind) {
    String json = new String(store.get(S3Path.parse(location)), StandardCharsets.UTF_8);
    boolean ratings = json.contains("\"rmse\"");
    Class<? extends ModelMetrics> written = ratings ? RegressionMetrics.class : ClassifierMetrics.class;
    if (!kind.isAssignableFrom(written)) {
      throw new IllegalArgumentException(location + " holds " + written.getSimpleName() + ", not "
          + kind.getSimpleName() + ": " + json);
    }
    if (ratings) {
      double[] v = fields(json, location, "count", "loss", "rmse", "mae");
      return kind.cast(new RegressionMetrics((long) v[0], v[1], v[2], v[3]));
    }
    double[] v = fields(json, location, "count", "loss", "auc", "accuracy");
    return kind.cast(new ClassifierMetrics((long) v[0], v[1], v[2], v[3], confusion(json, location)));
  }

  /** The values of the number fields {@code names} in {@code json} (null reads as NaN); each must be there. */
  private static double[] fields(String json, String location, String... names) {
    double[] values = new double[names.length];
    boolean[] found = new boolean[names.length];
    Matcher m = FIELD.matcher(json);
    while (m.find()) {
      for (int i = 0; i < names.length; i++) {
        if (names[i].equals(m.group(1))) {
          values[i] = m.group(2).equals("null") ? Double.NaN : Double.parseDouble(m.group(2));
          found[i] = true;
        }
      }
    }
    for (int i = 0; i < names.length; i++) {
      if (!found[i]) {
        throw new IllegalArgumentException(location + " holds no \"" + names[i] + "\": " + json);
      }
    }
    return values;
  }

  /** The confusion matrix of {@link #json}'s form: a list of rows, one per true class. */
  private static ConfusionMatrix confusion(String json, String location) {
    Matcher whole = CONFUSION.matcher(json);
    if (!whole.find()) {
      throw new IllegalArgumentException(location + " holds no \"confusion\": " + json);
    }
    List<long[]> rows = new ArrayList<>();
    Matcher row = CONFUSION_ROW.matcher(whole.group(1));
    while (row.find()) {
      rows.add(Arrays.stream(row.group(1).split(",")).map(String::trim).mapToLong(Long::parseLong).toArray());
    }
    ConfusionMatrix matrix = new ConfusionMatrix(rows.size());
    for (int actual = 0; actual < rows.size(); actual++) {
      if (rows.get(actual).length != rows.size()) {
        throw new IllegalArgumentException(location + ": confusion matrix row " + actual + " has "
            + rows.get(actual).length + " counts, not " + rows.size());
      }
      for (int predicted = 0; predicted < rows.size(); predicted++) {
        matrix.add(actual, predicted, rows.get(actual)[predicted]);
      }
    }
    return matrix;
  }

  static String json(ModelMetrics metrics) {
    if (metrics instanceof RegressionMetrics r) {
      return String.format(Locale.ROOT, "{\"count\": %d, \"loss\": %s, \"rmse\": %s, \"mae\": %s}%n",
          r.count(), number(r.loss()), number(r.rmse()), number(r.mae()));
    }
    ClassifierMetrics m = (ClassifierMetrics) metrics;
    StringBuilder confusion = new StringBuilder();
    ConfusionMatrix matrix = m.confusion();
    for (int actual = 0; actual < matrix.classes(); actual++) {
      confusion.append(actual == 0 ? "[" : ", ").append('[');
      for (int predicted = 0; predicted < matrix.classes(); predicted++) {
        confusion.append(predicted == 0 ? "" : ", ").append(matrix.count(actual, predicted));
      }
      confusion.append(']');
    }
    confusion.append(']');
    return String.format(Locale.ROOT,
        "{\"count\": %d, \"loss\": %s, \"auc\": %s, \"accuracy\": %s, \"confusion\": %s}%n",
        m.count(), number(m.loss()), number(m.auc()), number(m.accuracy()), confusion);
  }

  /** JSON has no NaN: a metric without a value (the AUC of a single class) is written as null. */
  private static String number(double value) {
    return Double.isFinite(value) ? Double.toString(value) : "null";
  }

  @Override
  public void validate(PipelineOptions options) {
    super.validate(options);
    StoreOptions.spec(options.as(StoreOptions.class));
  }

  @Override
  public PCollection<String> expand(PCollection<M> metrics) {
    return metrics.apply("Write", ParDo.of(new WriteFn<M>(location)));
  }

  private static final class WriteFn<M extends ModelMetrics> extends StoreDoFn<M, String> {
    private final String location;

    WriteFn(String location) {
      this.location = location;
    }

    @ProcessElement
    public void process(@Element M metrics, OutputReceiver<String> out) {
      S3Path path = S3Path.parse(location);
      store.ensureBucket(path.bucket());
      store.put(path, json(metrics).getBytes(StandardCharsets.UTF_8));
      out.output(location);
    }
  }
}
