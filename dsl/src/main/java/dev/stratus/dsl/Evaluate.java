package dev.stratus.dsl;

import dev.stratus.jobs.train.TrainResult;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.sgd.ClassifierMetrics;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;

/**
 * The loss (the model's own: log loss for logistic regression, hinge or squared hinge for a linear SVM, multinomial log
 * loss for K classes), AUC (binary models), accuracy and confusion matrix of a trained model on a dataset.
 *
 * <pre>{@code
 * PCollection<ClassifierMetrics> metrics = testSet.apply(Evaluate.with(trainResult));
 * }</pre>
 *
 * <p>The predictions are combined into a {@link ScoreHistogram} (the confusion matrix, and for a binary model label
 * counts in a million equal bins of the predicted probability), so memory stays bounded whatever the size of the
 * dataset and AUC is within about 1e-6 of the exact rank statistic for a model's scores.
 */
public final class Evaluate extends PTransform<PCollection<Dataset>, PCollection<ClassifierMetrics>> {
  private final PCollection<TrainResult> model;

  private Evaluate(PCollection<TrainResult> model) {
    this.model = model;
  }

  public static Evaluate with(PCollection<TrainResult> model) {
    return new Evaluate(model);
  }

  @Override
  public PCollection<ClassifierMetrics> expand(PCollection<Dataset> dataset) {
    return dataset
        .apply("Predict", Predict.with(model))
        .apply("Metrics", Combine.globally(new MetricsFn()).withoutDefaults())
        .setCoder(SerializableCoder.of(ClassifierMetrics.class));
  }

  static final class MetricsFn extends Combine.CombineFn<Prediction, ScoreHistogram, ClassifierMetrics> {
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
    public ClassifierMetrics extractOutput(ScoreHistogram histogram) {
      return histogram.metrics();
    }

    @Override
    public Coder<ScoreHistogram> getAccumulatorCoder(CoderRegistry registry, Coder<Prediction> inputCoder) {
      return new ScoreHistogram.Coder();
    }
  }
}
