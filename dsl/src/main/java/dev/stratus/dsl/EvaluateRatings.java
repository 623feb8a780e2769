package dev.stratus.dsl;

import dev.stratus.jobs.train.TrainResult;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.dataset.PartitionCodec;
import dev.stratus.kernels.sgd.FactorModel;
import dev.stratus.kernels.sgd.RegressionMetrics;
import java.util.List;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * The RMSE and MAE of a trained {@link MatrixFactorization} on a dataset of ratings, each partition scored in a task
 * of its own and the errors summed: memory stays bounded whatever the number of ratings.
 *
 * <pre>{@code
 * PCollection<RegressionMetrics> metrics = testRatings.apply(EvaluateRatings.with(trainResult));
 * }</pre>
 */
public final class EvaluateRatings extends PTransform<PCollection<Dataset>, PCollection<RegressionMetrics>> {
  private final PCollection<TrainResult> model;

  private EvaluateRatings(PCollection<TrainResult> model) {
    this.model = model;
  }

  /** Scores with the factorization of a (single) training result. */
  public static EvaluateRatings with(PCollection<TrainResult> model) {
    return new EvaluateRatings(model);
  }

  @Override
  public PCollection<RegressionMetrics> expand(PCollection<Dataset> dataset) {
    PCollectionView<TrainResult> trained = model.apply("ModelView", View.asSingleton());
    return dataset
        .apply("Partitions", new PartitionTasks("EvaluateRatings", List.of(), false))
        .apply("Errors", ParDo.of(new ErrorsFn(trained)).withSideInputs(trained))
        .setCoder(SerializableCoder.of(RegressionMetrics.class))
        .apply("Sum", Combine.globally(new SumErrors()))
        .setCoder(SerializableCoder.of(RegressionMetrics.class));
  }

  /** One partition's errors: its count, mean squared error and MAE, summed by {@link SumErrors}. */
  static final class ErrorsFn extends StoreDoFn<PartitionTasks.Task, RegressionMetrics> {
    private final PCollectionView<TrainResult> trained;
    private transient KeptModel<FactorModel> kept;

    ErrorsFn(PCollectionView<TrainResult> trained) {
      this.trained = trained;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      PartitionTasks.Task task = c.element();
      if (task.partition() < 0) {
        return; // an empty dataset: no errors
      }
      if (kept == null) {
        kept = new KeptModel<>(FactorModel.class, "is no matrix factorization: evaluate a classifier with Evaluate");
      }
      FactorModel factors = kept.read(store, c.sideInput(trained).modelPath());
      double squared = 0;
      double absolute = 0;
      long count = 0;
      PartitionCodec.Reader rows = DatasetReader.partition(store, task.input(), task.partition());
      while (rows.hasNext()) {
        SparseRow row = rows.next();
        double error = factors.predict(row) - row.label();
        squared += error * error;
        absolute += Math.abs(error);
        count++;
      }
      c.output(RegressionMetrics.of(count, squared, absolute));
    }
  }

  /** Sums partitions' errors, weighting each partition's means by its count. */
  static final class SumErrors implements SerializableFunction<Iterable<RegressionMetrics>, RegressionMetrics> {
    @Override
    public RegressionMetrics apply(Iterable<RegressionMetrics> parts) {
      long count = 0;
      double squared = 0;
      double absolute = 0;
      for (RegressionMetrics part : parts) {
        if (part.count() > 0) {
          count += part.count();
          squared += part.loss() * part.count();
          absolute += part.mae() * part.count();
        }
      }
      return RegressionMetrics.of(count, squared, absolute);
    }
  }
}
