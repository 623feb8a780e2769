package dev.stratus.dsl;

import dev.stratus.jobs.train.TrainResult;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.sgd.BinaryMetrics;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;

/**
 * The loss (the model's own: log loss for logistic regression, hinge or squared hinge for a linear SVM), AUC and
 * accuracy of a trained model on a dataset.
 *
 * <pre>{@code
 * PCollection<BinaryMetrics> metrics = testSet.apply(Evaluate.with(trainResult));
 * }</pre>
 *
 * <p>The predictions are combined into a {@link ScoreHistogram} (label counts in a million equal bins of the predicted
 * probability), so memory stays bounded whatever the size of the dataset and AUC is within about 1e-6 of the exact
 * rank statistic for a model's scores.
 */
public final class Evaluate extends PTransform<PCollection<Dataset>, PCollection<BinaryMetrics>> {
  private final PCollection<TrainResult> model;

  private Evaluate(PCollection<TrainResult> model) {
    this.model = model;
  }

  public static Evaluate with(PCollection<TrainResult> model) {
    return new Evaluate(model);
  }

  @Override
  public PCollection<BinaryMetrics> expand(PCollection<Dataset> dataset) {
    return dataset
        .apply("Predict", Predict.with(model))
        .apply("Metrics", Combine.globally(new MetricsFn()).withoutDefaults())
        .setCoder(SerializableCoder.of(BinaryMetrics.class));
  }

  static final class MetricsFn extends Combine.CombineFn<Prediction, ScoreHistogram, BinaryMetrics> {
    @Override
    public ScoreHistogram createAccumulator() {
      return new ScoreHistogram();
    }

    @Override
    public ScoreHistogram addInput(ScoreHistogram histogram, Prediction p) {
      histogram.add(p);
      return histogram;
    }

    @Override
    public ScoreHistogram mergeAccumulators(Iterable<ScoreHistogram> histograms) {
      ScoreHistogram merged = new ScoreHistogram();
      histograms.forEach(merged::merge);
      return merged;
    }

    @Override
    public BinaryMetrics extractOutput(ScoreHistogram histogram) {
      return histogram.metrics();
    }

    @Override
    public Coder<ScoreHistogram> getAccumulatorCoder(CoderRegistry registry, Coder<Prediction> inputCoder) {
      return new ScoreHistogram.Coder();
    }
  }
}
