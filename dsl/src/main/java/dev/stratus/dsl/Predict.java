package dev.stratus.dsl;

import dev.stratus.jobs.train.TrainResult;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.dataset.PartitionCodec;
import dev.stratus.kernels.sgd.LinearModel;
import java.util.List;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * Scores every row of a dataset with a trained model, one partition per task so partitions are scored in
 * parallel.
 *
 * <pre>{@code
 * PCollection<Prediction> scores = testSet.apply(Predict.with(trainResult));
 * }</pre>
 */
public final class Predict extends PTransform<PCollection<Dataset>, PCollection<Prediction>> {
  private final PCollection<TrainResult> model;

  private Predict(PCollection<TrainResult> model) {
    this.model = model;
  }

  /** Scores with the model of a (single) training result. */
  public static Predict with(PCollection<TrainResult> model) {
    return new Predict(model);
  }

  @Override
  public PCollection<Prediction> expand(PCollection<Dataset> dataset) {
    PCollectionView<TrainResult> trained = model.apply("ModelView", View.asSingleton());
    return dataset
        .apply("Partitions", new PartitionTasks("Predict", List.of(), false))
        .apply("Score", ParDo.of(new ScoreFn(trained)).withSideInputs(trained))
        .setCoder(SerializableCoder.of(Prediction.class));
  }

  static final class ScoreFn extends StoreDoFn<PartitionTasks.Task, Prediction> {
    private final PCollectionView<TrainResult> trained;
    private transient KeptModel<LinearModel> kept;

    ScoreFn(PCollectionView<TrainResult> trained) {
      this.trained = trained;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      PartitionTasks.Task task = c.element();
      if (task.partition() < 0) {
        return; // an empty dataset: nothing to score
      }
      if (kept == null) {
        kept = new KeptModel<>(LinearModel.class,
            "is a matrix factorization: predict ratings with PredictRatings, or score them with EvaluateRatings");
      }
      LinearModel model = kept.read(store, c.sideInput(trained).modelPath());
      PartitionCodec.Reader rows = DatasetReader.partition(store, task.input(), task.partition());
      while (rows.hasNext()) {
        SparseRow row = rows.next();
        c.output(Prediction.of(model, row));
      }
    }
  }
}
