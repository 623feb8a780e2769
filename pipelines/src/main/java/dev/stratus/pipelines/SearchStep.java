package dev.stratus.pipelines;

import dev.stratus.dsl.GridSearch;
import dev.stratus.dsl.SgdTraining;
import dev.stratus.dsl.ReadDataset;
import dev.stratus.jobs.search.Scheduler;
import dev.stratus.kernels.dataset.Dataset;
import java.time.Duration;
import java.util.function.Function;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.PCollection;

/**
 * The jobs' last step: a small hyperparameter search on the same train and validation sets as the training before it,
 * six experiments (three learning rates by two minibatch sizes), as many at a time as the search finds pay, against
 * shared parameter-server shards, each for a short time budget; the diverging ones are stopped early. The console shows one line per
 * experiment while it runs, and the ranked table at the end; the search's web dashboard prints its address when the
 * search starts (unless {@code --dashboard=false}).
 */
final class SearchStep {
  static final Number[] LEARNING_RATES = {0.05, 0.2, 0.8};
  static final Number[] MINIBATCH_SIZES = {20, 100};

  private SearchStep() {}

  /**
   * Runs the search on the datasets at {@code train} and {@code validation}, each experiment the training {@code base}
   * makes for the validation set, for at most {@code seconds}; the models and the result go under {@code output}.
   * Returns where the result's JSON is.
   */
  static String run(
      PipelineOptions options,
      String train,
      String validation,
      Function<PCollection<Dataset>, SgdTraining<?>> base,
      int seconds,
      String output) {
    String resultLocation = output + "/search-result.json";
    Pipeline p = Pipeline.create(options);
    PCollection<Dataset> validationSet = p.apply("Validation", ReadDataset.from(validation));
    p.apply("Train", ReadDataset.from(train))
        .apply("Search", GridSearch.of(
                base.apply(validationSet).timeout(Duration.ofSeconds(seconds)))
            .vary("learningRate", LEARNING_RATES)
            .vary("minibatchSize", MINIBATCH_SIZES)
            .scheduler(Scheduler.stopDiverged(3))
            .modelsTo(output + "/")
            .resultTo(resultLocation));
    p.run().waitUntilFinish();
    return resultLocation;
  }
}
