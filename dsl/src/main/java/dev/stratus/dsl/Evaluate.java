package dev.stratus.dsl;

import dev.stratus.transforms.dataset.Dataset;
import dev.stratus.transforms.sgd.BinaryMetrics;
import dev.stratus.transforms.train.TrainResult;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;

/**
 * Logloss, AUC and accuracy of a trained model on a dataset.
 *
 * <pre>{@code
 * PCollection<BinaryMetrics> metrics = testSet.apply(Evaluate.with(trainResult));
 * }</pre>
 *
 * <p>AUC ranks every score, so the predictions are gathered in one place: fine for test sets of millions of rows.
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

  static final class MetricsFn extends Combine.CombineFn<Prediction, ArrayList<Prediction>, BinaryMetrics> {
    @Override
    public ArrayList<Prediction> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public ArrayList<Prediction> addInput(ArrayList<Prediction> acc, Prediction p) {
      acc.add(p);
      return acc;
    }

    @Override
    public ArrayList<Prediction> mergeAccumulators(Iterable<ArrayList<Prediction>> accs) {
      ArrayList<Prediction> all = new ArrayList<>();
      accs.forEach(all::addAll);
      return all;
    }

    @Override
    public BinaryMetrics extractOutput(ArrayList<Prediction> acc) {
      List<Prediction> all = acc;
      float[] labels = new float[all.size()];
      double[] probabilities = new double[all.size()];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = all.get(i).label();
        probabilities[i] = all.get(i).probability();
      }
      return BinaryMetrics.of(labels, probabilities, labels.length);
    }
  }
}
