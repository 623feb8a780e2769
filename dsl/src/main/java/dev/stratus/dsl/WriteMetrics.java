package dev.stratus.dsl;

import dev.stratus.kernels.sgd.BinaryMetrics;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Writes metrics as a small JSON object to the store, where the driver (or anyone) reads them after the run, whichever
 * runner computed them: on LambdaRunner nothing a worker prints reaches the driver.
 *
 * <pre>{@code
 * testSet.apply(Evaluate.with(model)).apply(WriteMetrics.to("s3://bucket/run-1/metrics.json"));
 * p.run().waitUntilFinish();
 * BinaryMetrics m = WriteMetrics.read(store, "s3://bucket/run-1/metrics.json");
 * }</pre>
 */
public final class WriteMetrics extends PTransform<PCollection<BinaryMetrics>, PCollection<String>> {
  private static final Pattern FIELD = Pattern.compile("\"(\\w+)\"\\s*:\\s*([^,}\\s]+)");

  private final String location;

  private WriteMetrics(String location) {
    this.location = location;
  }

  /** The object to write, {@code s3://bucket/key}; the output is that location once written. */
  public static WriteMetrics to(String location) {
    S3Path path = S3Path.parse(location);
    StoreOptions.checkBucket(path.bucket(), "WriteMetrics.to(" + location + ")");
    return new WriteMetrics(location);
  }

  /** The metrics written at {@code location}. */
  public static BinaryMetrics read(ObjectStore store, String location) {
    String json = new String(store.get(S3Path.parse(location)), StandardCharsets.UTF_8);
    double[] values = new double[4];
    String[] names = {"count", "loss", "auc", "accuracy"};
    boolean[] found = new boolean[4];
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
    return new BinaryMetrics((long) values[0], values[1], values[2], values[3]);
  }

  static String json(BinaryMetrics m) {
    return String.format(Locale.ROOT, "{\"count\": %d, \"loss\": %s, \"auc\": %s, \"accuracy\": %s}%n",
        m.count(), number(m.loss()), number(m.auc()), number(m.accuracy()));
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
  public PCollection<String> expand(PCollection<BinaryMetrics> metrics) {
    return metrics.apply("Write", ParDo.of(new WriteFn(location)));
  }

  private static final class WriteFn extends StoreDoFn<BinaryMetrics, String> {
    private final String location;

    WriteFn(String location) {
      this.location = location;
    }

    @ProcessElement
    public void process(@Element BinaryMetrics metrics, OutputReceiver<String> out) {
      S3Path path = S3Path.parse(location);
      store.ensureBucket(path.bucket());
      store.put(path, json(metrics).getBytes(StandardCharsets.UTF_8));
      out.output(location);
    }
  }
}
