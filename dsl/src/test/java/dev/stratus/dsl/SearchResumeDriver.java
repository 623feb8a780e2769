package dev.stratus.dsl;

import java.time.Duration;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * The driver {@link SearchResumeTest} runs in a JVM of its own (and kills): a grid search of four learning rates, one
 * at a time, each training for a few seconds, under a given search id, on the DirectRunner against the embedded
 * store in a given data directory.
 *
 * <p>Arguments: the store's data directory, the data's root ({@code s3://bucket/prefix}), the search id.
 */
public final class SearchResumeDriver {
  static final Number[] LEARNING_RATES = {0.05, 0.1, 0.2, 0.4};

  private SearchResumeDriver() {}

  public static void main(String[] args) {
    String dataDir = args[0];
    String root = args[1];
    String searchId = args[2];
    Pipeline p = Pipeline.create(
        PipelineOptionsFactory.fromArgs("--dataDir=" + dataDir, "--runner=DirectRunner").create());
    LogisticRegression base =
        LogisticRegression.withValidationSet(p.apply("Validation", ReadDataset.from(root + "/validation")))
            .workers(1)
            .epsilon(0)
            .evalInterval(Duration.ofMillis(300))
            .timeout(Duration.ofSeconds(2));
    p.apply("Train", ReadDataset.from(root + "/train"))
        .apply(GridSearch.of(base)
            .vary("learningRate", LEARNING_RATES)
            .parallelism(1)
            .searchId(searchId)
            .modelsTo(root + "/models/"));
    p.run().waitUntilFinish();
    // The embedded store's server threads would keep the JVM alive.
    System.exit(0);
  }
}
