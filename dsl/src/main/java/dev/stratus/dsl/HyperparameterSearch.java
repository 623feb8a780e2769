package dev.stratus.dsl;

import dev.stratus.jobs.search.Experiment;
import dev.stratus.jobs.train.Prices;
import dev.stratus.jobs.search.Scheduler;
import dev.stratus.jobs.search.SearchDriver;
import dev.stratus.jobs.search.SearchResult;
import dev.stratus.jobs.train.Shards;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.store.S3Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;

/**
 * What {@link GridSearch} and {@link RandomSearch} share: a base {@link SgdTraining} (a LogisticRegression or a
 * LinearSvm) whose options every experiment starts from, how many experiments train at once against the shared shards, the scheduler that stops the
 * ones going nowhere, the prices the cost is counted at, and where the models and the result go. The output is one
 * {@link SearchResult}, also written to the store as JSON.
 *
 * <p>It has a URN ({@link #URN}): LambdaRunner runs it with {@link HyperparameterSearchOnWorkers} (each experiment's
 * workers are Lambda invocations); the DirectRunner runs the default expansion, the whole search inside one DoFn with
 * in-process shards and worker threads.
 */
public abstract class HyperparameterSearch<S extends HyperparameterSearch<S>>
    extends PTransform<PCollection<Dataset>, PCollection<SearchResult>> {
  public static final String URN = "stratus:transform:hyperparameter_search:v1";
  private static final TupleTag<Dataset> VALIDATION_TAG = new TupleTag<>("validationSet");
  /** More experiments than this is a mistake in the grid, not a search anyone can wait for. */
  static final int MAX_EXPERIMENTS = 10_000;

  final SgdTraining<?> base;
  private int parallelism = SearchDriver.AUTO_PARALLELISM;
  /** 0: no cap. */
  private double maxCostDollars;
  /** Null: none. */
  private Duration deadline;
  private Scheduler scheduler = Scheduler.none();
  private Prices prices = Prices.AWS_LAMBDA_X86;
  private String modelsTo;
  private String resultTo;
  private String searchId;

  HyperparameterSearch(String transform, SgdTraining<?> base) {
    if (base == null) {
      throw new IllegalArgumentException(transform + " needs a base training: LogisticRegression.withValidationSet(...)");
    }
    if (base.validationSet() == null) {
      throw new IllegalArgumentException(
          transform + ": the base training needs a validation set: withValidationSet(dataset)");
    }
    this.base = base;
  }

  @SuppressWarnings("unchecked")
  private S self() {
    return (S) this;
  }

  /**
   * Caps what the experiments' workers cost in all at {@code dollars}, at the search's prices: each experiment starts
   * capped at an equal part of what is left for the experiments not ended yet, and stops there with its best model so
   * far (as {@code budget}), so that every experiment runs; should the search still reach the cap, the running ones
   * stop there and the waiting ones do not start, and the search ranks what it has. No cap by default.
   */
  public S maxCost(double dollars) {
    maxCostDollars = Checks.inRange("maxCost", dollars, 0, 1e6, false);
    return self();
  }

  /**
   * Ends the search {@code limit} after it started (1 second to a day). Each experiment starts with its share of the
   * time left as its timeout (what each experiment not ended yet gets with the experiments at once taking turns), so
   * that every experiment runs, and what one leaves unused goes to those after it; at the deadline itself the running
   * experiments stop with their best models so far and the waiting ones do not start, all as {@code budget}, and the
   * search ranks what it has. No deadline by default; each experiment's own {@code timeout} holds either way.
   */
  public S deadline(Duration limit) {
    deadline = Checks.inRange("deadline", limit, Duration.ofSeconds(1), Duration.ofDays(1));
    return self();
  }

  /**
   * How many experiments train at once (1 to 1000); the others wait their turn in order. 0, the default, lets the
   * search choose: two to start, doubled while each experiment still trains nearly as fast (rows a second) as at the
   * count before, back to that count where it does not, and never more than the cores their workers share where they
   * run on this machine (worker threads, a local Lambda service) over each experiment's workers; each change is a
   * console line.
   */
  public S parallelism(int experiments) {
    parallelism = Checks.inRange("parallelism", experiments, SearchDriver.AUTO_PARALLELISM, 1000);
    return self();
  }

  /** Which experiments to stop early: {@link Scheduler#none()} (the default), stop-diverged or successive halving. */
  public S scheduler(Scheduler chosen) {
    if (chosen == null) {
      throw new IllegalArgumentException("scheduler must be Scheduler.none(), stopDiverged(...) or"
          + " successiveHalving(...), got null");
    }
    scheduler = chosen;
    return self();
  }

  /**
   * The prices the cost is counted at: Lambda's per GB-second and per million requests (default AWS's published x86
   * prices, $0.0000166667 and $0.20), and one parameter-server shard's VM per hour (default 0).
   */
  public S prices(double perGbSecond, double perMillionRequests, double psShardPerHour) {
    prices = new Prices(perGbSecond, perMillionRequests, psShardPerHour);
    return self();
  }

  /**
   * Where the search keeps its models and records: under {@code <prefix><searchId>/} (each model at {@code
   * experiment-<n>/model.bin}); default: {@code models/<training data's name>-search-<searchId>/} in the training
   * data's bucket.
   */
  public S modelsTo(String prefix) {
    S3Path.parse(prefix);
    modelsTo = prefix;
    return self();
  }

  /** Where the result is written as JSON; default: {@code search-result.json} beside the models. */
  public S resultTo(String location) {
    S3Path.parse(location);
    resultTo = location;
    return self();
  }

  /**
   * The search's id (letters, digits, '.', '_', '-'; default a fresh one, printed when the search starts). The search
   * records its experiments under it as they finish; run it again with the same id after its driver died, and the
   * finished experiments are not run again.
   */
  public S searchId(String id) {
    if (id == null || !id.matches("[A-Za-z0-9._-]{1,100}")) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": searchId must be 1 to 100 letters, digits,"
          + " '.', '_' or '-', got " + (id == null ? "null" : "'" + id + "'"));
    }
    searchId = id;
    return self();
  }

  /** Every experiment of this search, in the order they start; refuses an empty search. */
  public abstract List<Experiment> experiments();

  /** The validation set is an input of the whole transform, so a runner executing it whole reads it too. */
  @Override
  public Map<TupleTag<?>, PValue> getAdditionalInputs() {
    return Map.of(VALIDATION_TAG, base.validationSet());
  }

  PCollection<Dataset> validationSet() {
    return base.validationSet();
  }

  SearchPlan plan() {
    return new SearchPlan(getName(), searchId != null ? searchId : SearchPlan.freshId(), experiments(), scheduler,
        prices, parallelism, base.spec(), modelsTo, resultTo, maxCostDollars, deadline);
  }

  /** Refuses the shards' options (--psEndpoints, --psTls, --psTrustCertFile) when wrong, before the pipeline runs. */
  @Override
  public void validate(PipelineOptions options) {
    super.validate(options);
    TrainingOptions.check(options.as(TrainingOptions.class));
  }

  @Override
  public PCollection<SearchResult> expand(PCollection<Dataset> train) {
    SearchPlan plan = plan();
    DashboardOptions.checkPort(train.getPipeline().getOptions(), plan.transform());
    PCollectionView<Dataset> validation = base.validationSet().apply("ValidationSetView", View.asSingleton());
    return train
        .apply("Search", ParDo.of(new SearchFn(plan, validation)).withSideInputs(validation))
        .setCoder(SerializableCoder.of(SearchResult.class));
  }

  /** The default expansion: the whole search inside this DoFn, with in-process shards and worker threads or JVMs. */
  static final class SearchFn extends StoreDoFn<Dataset, SearchResult> {
    private final SearchPlan plan;
    private final PCollectionView<Dataset> validation;

    SearchFn(SearchPlan plan, PCollectionView<Dataset> validation) {
      this.plan = plan;
      this.validation = validation;
    }

    @ProcessElement
    public void process(@Element Dataset train, ProcessContext c) throws Exception {
      SparseRow[] validationRows =
          SgdTraining.evaluationRows(store, List.of(c.sideInput(validation)), plan.transform(), "validation set");
      TrainingOptions options = c.getPipelineOptions().as(TrainingOptions.class);
      try (Shards shards = TrainingOptions.shards(options, plan.baseSpec())) {
        c.output(
            plan.run(store, store.reachableSpec(), train, validationRows, shards,
                () -> SgdTraining.localWorkers(plan.baseSpec()), plan.baseSpec().localWorkerMemoryMb(),
                c.getPipelineOptions()));
      }
    }
  }
}
