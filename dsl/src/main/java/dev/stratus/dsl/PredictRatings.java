package dev.stratus.dsl;

import dev.stratus.jobs.train.TrainResult;
import dev.stratus.kernels.data.Ratings;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.dataset.PartitionCodec;
import dev.stratus.kernels.sgd.FactorModel;
import java.util.List;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * A trained {@link MatrixFactorization}'s rating of every user-item pair of a dataset of ratings ({@link LoadRatings},
 * or a split of it), with the user's and the item's ids as the ratings file wrote them; one partition per task.
 *
 * <pre>{@code
 * PCollection<RatingPrediction> predicted = testRatings.apply(PredictRatings.with(trainResult));
 * }</pre>
 */
public final class PredictRatings extends PTransform<PCollection<Dataset>, PCollection<RatingPrediction>> {
  private final PCollection<TrainResult> model;

  private PredictRatings(PCollection<TrainResult> model) {
    this.model = model;
  }

  /** Predicts with the factorization of a (single) training result. */
  public static PredictRatings with(PCollection<TrainResult> model) {
    return new PredictRatings(model);
  }

  @Override
  public PCollection<RatingPrediction> expand(PCollection<Dataset> dataset) {
    PCollectionView<TrainResult> trained = model.apply("ModelView", View.asSingleton());
    return dataset
        .apply("Partitions", new PartitionTasks("PredictRatings", List.of(), false))
        .apply("Predict", ParDo.of(new PredictFn(trained)).withSideInputs(trained))
        .setCoder(SerializableCoder.of(RatingPrediction.class));
  }

  static final class PredictFn extends StoreDoFn<PartitionTasks.Task, RatingPrediction> {
    private final PCollectionView<TrainResult> trained;
    private transient KeptModel<FactorModel> kept;

    PredictFn(PCollectionView<TrainResult> trained) {
      this.trained = trained;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      PartitionTasks.Task task = c.element();
      if (task.partition() < 0) {
        return; // an empty dataset: nothing to predict
      }
      Integer users = task.input().manifest().users();
      if (users == null) {
        throw new IllegalArgumentException(task.input().location() + " is not a dataset of ratings (its manifest"
            + " names no users): load ratings with LoadRatings, or score a classifier with Predict");
      }
      if (kept == null) {
        kept = new KeptModel<>(FactorModel.class, "is no matrix factorization: score a classifier with Predict");
      }
      FactorModel factors = kept.read(store, c.sideInput(trained).modelPath());
      PartitionCodec.Reader rows = DatasetReader.partition(store, task.input(), task.partition());
      while (rows.hasNext()) {
        SparseRow row = rows.next();
        c.output(new RatingPrediction(
            Ratings.user(row), Ratings.item(row, users), row.label(), factors.predict(row)));
      }
    }
  }
}
