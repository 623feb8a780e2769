package dev.stratus.dsl;

import dev.stratus.jobs.train.ConsoleView;
import dev.stratus.jobs.train.CurvePoint;
import dev.stratus.jobs.train.ProcessWorkers;
import dev.stratus.jobs.train.Shards;
import dev.stratus.jobs.train.Solver;
import dev.stratus.jobs.train.ThreadWorkers;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.jobs.train.TrainingDriver;
import dev.stratus.jobs.train.TrainingSpec;
import dev.stratus.jobs.train.WorkerLauncher;
import dev.stratus.jvm.DaemonThreadFactory;
import dev.stratus.jvm.Futures;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.sgd.Objective;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.WireValues;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.function.BiConsumer;
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
 * What every sparse model trained by asynchronous SGD shares (the linear models {@link LogisticRegression}, {@link
 * LinearSvm} and {@link MultinomialLogisticRegression}, and {@link MatrixFactorization}): {@code workers} workers pull
 * the model rows their minibatches touch from {@code psShards} parameter-server shards, compute the gradient of the
 * model's loss and push it back, while a monitor in the driver evaluates that loss on a
 * validation set and stops the job on {@code epsilon}, the timeout or divergence, keeping the best model it saw. A
 * linear model may be solved by L-BFGS instead ({@link #solver}; by default where its data fits the
 * workers' memory), the workers summing full-batch gradients on the same shards. The validation set chooses the
 * model, so report a separate test set's metrics ({@link Evaluate}).
 *
 * <p>Each model has the URN {@link #URN}, what it learns in the transform object ({@link #spec}'s objective). LambdaRunner runs it with {@link
 * SgdTrainingOnWorkers}: each worker is a Lambda invocation that lives at most {@link #workerLifetime} before a
 * successor takes over, against shards the driver starts as processes (or reaches at {@code --psEndpoints}). The
 * DirectRunner runs the default expansion, which trains inside its JVM with in-process shards and worker threads (or
 * processes, {@link #workerProcesses}). Every option is checked when set, with its valid range in the message.
 *
 * @param <T> the model's own transform, which every option returns
 */
public abstract class SgdTraining<T extends SgdTraining<T>>
    extends PTransform<PCollection<Dataset>, PCollection<TrainResult>> {
  public static final String URN = "stratus:transform:sgd_training:v1";
  private static final TupleTag<Dataset> VALIDATION_TAG = new TupleTag<>("validationSet");
  private static final TupleTag<Dataset> TEST_CURVE_TAG = new TupleTag<>("testCurveSet");

  /** Evaluating the validation loss costs the monitor a pass over the validation rows: this many at most. */
  static final int MAX_VALIDATION_ROWS = 200_000;

  private final PCollection<Dataset> validationSet;
  private PCollection<Dataset> testCurveSet;
  private int workers = TrainingSpec.AUTO_WORKERS;
  /** 0: no cap. */
  private double maxCostDollars;
  private int psShards = TrainingSpec.AUTO_SHARDS;
  private int workerMemoryMb = TrainingSpec.AUTO_MEMORY;
  private Optimizer optimizer = Optimizer.ADAGRAD;
  private float learningRate = 0.1f;
  private int minibatchSize = 20;
  /** NaN: chosen when the training starts (see {@link #l2}). */
  private float l2 = Float.NaN;
  private float l1;
  private double epsilon = 1e-4;
  private int window = 5;
  private Duration timeout = Duration.ofMinutes(10);
  /** Null: the data's pace. */
  private Duration evalInterval;
  private int epochs = 0;
  private int maxPushesInFlight = 4;
  private long seed = 1;
  private boolean workerProcesses;
  private boolean prefetch = true;
  private WireValues wireValues = WireValues.FLOAT32;
  private Duration workerLifetime = Duration.ofMinutes(10);
  private int maxWorkerFailures = 3;
  private String modelTo;
  private boolean resumeFromSnapshots;
  private Solver solver = Solver.AUTO;
  private boolean sgdStart = true;
  /** Whether an option of SGD's steps was set, which makes {@link Solver#AUTO} SGD. */
  private boolean sgdStepsSet;

  SgdTraining(PCollection<Dataset> validationSet) {
    this.validationSet = validationSet;
  }

  /** What the model learns: its loss and shape on the shards. */
  abstract Objective objective();

  /** A training of the same model with default options, on {@code validationSet}: what {@link #with} copies into. */
  abstract T newTraining(PCollection<Dataset> validationSet);

  @SuppressWarnings("unchecked")
  private T self() {
    return (T) this;
  }

  PCollection<Dataset> validationSet() {
    return validationSet;
  }

  /** The set {@link #testCurveOn} names, or null. */
  PCollection<Dataset> testCurveSet() {
    return testCurveSet;
  }

  /**
   * Also measures the loss on {@code testSet} at every evaluation, for the curve only ({@link
   * CurvePoint#testLoss}): the monitor neither stops on it nor chooses the model by it. For a chart of the test loss
   * over time beside other systems' on the same rows; each evaluation then costs a pass over both sets.
   */
  public T testCurveOn(PCollection<Dataset> testSet) {
    testCurveSet = Objects.requireNonNull(testSet, "testCurveOn: the test set");
    return self();
  }

  String modelTo() {
    return modelTo;
  }

  /** The validation set is an input of the whole transform, so a runner executing it whole reads it too. */
  @Override
  public Map<TupleTag<?>, PValue> getAdditionalInputs() {
    Map<TupleTag<?>, PValue> inputs = new HashMap<>();
    if (validationSet != null) {
      inputs.put(VALIDATION_TAG, validationSet);
    }
    if (testCurveSet != null) {
      inputs.put(TEST_CURVE_TAG, testCurveSet);
    }
    return inputs;
  }

  /**
   * The number of workers; 0, the default, for the driver to choose: an L-BFGS training starts two and doubles them
   * while they compute on cores of their own and a pass gets nearly as much faster (each decision a console line, and
   * in {@code TrainResult.scaling()}); an SGD training starts one and doubles them while the updates a second grow at
   * least 1.5x, each added worker reading the partitions of one before it.
   */
  public T workers(int n) {
    workers = Checks.inRange("workers", n, TrainingSpec.AUTO_WORKERS, 1000);
    return self();
  }

  /**
   * The number of parameter-server shards; 0, the default, for the driver to choose: one to start, doubled (up to 8)
   * where an L-BFGS training whose workers it chooses finds them saturated, its later rounds sliced over them (each
   * decision a console line). Shards named by {@code --psEndpoints} are never added to.
   */
  public T psShards(int n) {
    psShards = Checks.inRange("psShards", n, TrainingSpec.AUTO_SHARDS, 64);
    return self();
  }

  /**
   * Memory of one worker in MB (128 to 10,240): its prefetch budget, its heap with {@link #workerProcesses}, and on AWS
   * Lambda its CPU. Unset, the driver chooses it: on the DirectRunner {@value TrainingSpec#LOCAL_MEMORY_MB}; on
   * LambdaRunner one of the sizes the worker function is offered at ({@code --workerMemoryMb} and {@code
   * --workerMemorySizesMb}), from what the training needs and its workers show. Set, it must be one of those sizes.
   */
  public T workerMemoryMb(int mb) {
    workerMemoryMb = Checks.inRange("workerMemoryMb", mb, 128, 10_240);
    return self();
  }

  public T optimizer(Optimizer o) {
    if (o == null) {
      throw new IllegalArgumentException("optimizer must be one of SGD, ADAGRAD, MOMENTUM, got null");
    }
    optimizer = o;
    sgdStepsSet = true;
    return self();
  }

  public T learningRate(float rate) {
    learningRate = (float) Checks.inRange("learningRate", rate, 1e-9, 100, false);
    sgdStepsSet = true;
    return self();
  }

  public T minibatchSize(int rows) {
    minibatchSize = Checks.inRange("minibatchSize", rows, 1, 100_000);
    sgdStepsSet = true;
    return self();
  }

  /**
   * The L2 penalty (0 to 1,000). A linear model's is on every weight at every push, so the objective is the mean loss
   * plus {@code l2 / 2} times the squared weights: liblinear's at {@code C = 1 / (l2 n)} on n training rows (a shard
   * applies what a weight missed when a push next touches it, or the model is read). A factorization's is on the
   * factors a rating touches. Default for a linear model: chosen on the validation set, the training converging at
   * {@code C} = 0.01, then going on at 0.1, 1 and 10 (the optimizer's state starting again) while each finds a better
   * model than those before, keeping the best (with {@code epsilon(0)}, which never stops, the same path, then on at
   * the best penalty until the timeout).
   */
  public T l2(float penalty) {
    l2 = (float) Checks.inRange("l2", penalty, 0, 1e3, true);
    return self();
  }

  /**
   * The L1 penalty (0 to 1,000) of a linear model, for a sparse one: on every weight at every push, so the objective is
   * the mean loss plus {@code l1} times the absolute weights, liblinear's L1-regularised one ({@code -s 5} or
   * {@code -s 6}) at {@code C = 1 / (l1 n)} on n training rows; each push moves every weight toward zero by {@code l1}
   * times its step size and stops there, so weights the data does not hold up are exactly zero. With it, the L2
   * penalty is 0 unless {@link #l2} sets one. Default 0.
   */
  public T l1(float penalty) {
    if (!objective().penalisesAllValues()) {
      throw new IllegalArgumentException("l1 is for linear models; " + getClass().getSimpleName() + " has none");
    }
    l1 = (float) Checks.inRange("l1", penalty, 0, 1e3, true);
    return self();
  }

  /**
   * Stop when the best validation loss improves by less than this over {@code window} evaluations and at least a pass
   * over the training rows (so that workers a busy machine slows down are not taken for converged); 0 never stops so
   * (only divergence, {@link #epochs} or the timeout end the training then).
   */
  public T epsilon(double minImprovement) {
    epsilon = Checks.inRange("epsilon", minImprovement, 0, 10, true);
    return self();
  }

  public T window(int evaluations) {
    window = Checks.inRange("window", evaluations, 1, 1000);
    return self();
  }

  public T timeout(Duration limit) {
    timeout = Checks.inRange("timeout", limit, Duration.ofSeconds(1), Duration.ofDays(1));
    return self();
  }

  /**
   * Stops the training with the best model so far once its workers have cost {@code dollars} at AWS Lambda's prices:
   * every worker generation's GB-seconds (its memory for as long as it ran) and invocations, as they run. The console
   * says when the cap is reached, and the result's stop reason is {@code BUDGET}. No cap by default.
   */
  public T maxCost(double dollars) {
    maxCostDollars = Checks.inRange("maxCost", dollars, 0, 1e6, false);
    return self();
  }

  /**
   * Fixes the time between two evaluations of the validation loss. By default the driver paces them by the data: the
   * time of two passes over the training rows at the workers' rate, at least twenty times what an evaluation takes,
   * between 100 and 500 ms, so a small data set's convergence is seen in a fraction of a second.
   */
  public T evalInterval(Duration interval) {
    evalInterval = Checks.inRange("evalInterval", interval, Duration.ofMillis(10), Duration.ofHours(1));
    return self();
  }

  /** Passes over the training data; 0 (the default) trains until epsilon or the timeout stops it. */
  public T epochs(int passes) {
    epochs = Checks.inRange("epochs", passes, 0, 100_000);
    sgdStepsSet = true;
    return self();
  }

  public T maxPushesInFlight(int pushes) {
    maxPushesInFlight = Checks.inRange("maxPushesInFlight", pushes, 1, 1024);
    sgdStepsSet = true;
    return self();
  }

  public T seed(long value) {
    seed = value;
    return self();
  }

  /**
   * Runs each worker of the default expansion in a JVM of its own with a heap of {@code workerMemoryMb}, as a Lambda
   * environment would, instead of in a thread of the pipeline's JVM.
   */
  public T workerProcesses(boolean separate) {
    workerProcesses = separate;
    return self();
  }

  /**
   * Whether workers fetch their next partitions of training rows while they compute (default true). Turned off, a
   * worker waits for each partition when it reaches it: what the paper's Figure 6 measures prefetching against.
   */
  public T prefetch(boolean ahead) {
    prefetch = ahead;
    sgdStepsSet = true;
    return self();
  }

  /**
   * How workers' pulls and pushes carry weights and gradients (default {@link WireValues#FLOAT32}): {@link
   * WireValues#FLOAT16} sends each value in half the bytes, rounded to about three significant digits; the shards
   * keep float32 weights, and the model the training keeps is pulled whole in float32. See the {@code ps} benchmark
   * for what it saves and costs.
   */
  public T wireValues(WireValues values) {
    wireValues = Objects.requireNonNull(values, "wireValues");
    sgdStepsSet = true;
    return self();
  }

  /**
   * How long one worker generation runs before it returns its position and a successor goes on from there (1 s to
   * 15 min, Lambda's limit; default 10 min). On Lambda a generation also returns before its function's timeout.
   */
  public T workerLifetime(Duration lifetime) {
    workerLifetime = Checks.inRange("workerLifetime", lifetime, Duration.ofSeconds(1), Duration.ofMinutes(15));
    return self();
  }

  /** Deaths of one worker (crash, killed environment) the job survives, each followed by a successor (default 3). */
  public T maxWorkerFailures(int failures) {
    maxWorkerFailures = Checks.inRange("maxWorkerFailures", failures, 0, 1000);
    return self();
  }

  /**
   * How the optimum is reached. {@link Solver#SGD}: asynchronous SGD on the parameter server, for any model and data
   * of any size. {@link Solver#LBFGS}, for a linear model (the hinge rounded off over a hundredth of a margin at
   * its kink, whose optimum's hinge objective is within 0.005 of the hinge's optimum): each worker holds its
   * partitions in memory and computes their loss and gradient at the point the driver sets on the shards, and the
   * driver takes quasi-Newton steps (OWL-QN with {@link #l1}) until two in a row gain less than 1e-5 of the
   * objective: the exact optimum of the regularised objective in tens of passes, for data the workers' memory holds.
   * It starts from a pass of SGD ({@link #sgdStart}), whose rate is {@link #learningRate}. With it, the other options
   * of SGD's steps and of its monitor ({@link #optimizer}, {@link
   * #minibatchSize}, {@link #epochs}, {@link #maxPushesInFlight}, {@link #prefetch}, {@link #wireValues}, {@link
   * #epsilon}, {@link #window}, {@link #evalInterval}) do nothing; the default penalty is still chosen on the
   * validation set, each penalty solved in turn from the optimum of the one before (to 1e-4 of the objective, and the
   * best one on to 1e-5 once the path ends). {@link Solver#AUTO} (the
   * default): L-BFGS where it applies and the training set, held by the workers, takes at most half their memory
   * (about 12 bytes held per byte stored), SGD otherwise, or as soon as an option of SGD's steps above (from
   * {@link #learningRate} to {@link #wireValues}) is set, which asks for SGD.
   */
  public T solver(Solver how) {
    if (Objects.requireNonNull(how, "solver") == Solver.LBFGS) {
      TrainingSpec.checkSolver(how, objective());
    }
    solver = how;
    return self();
  }

  /**
   * Whether {@link Solver#LBFGS} starts from the workers' models after a pass of AdaGrad at {@link #learningRate}
   * over the rows each holds, a row at a time, averaged (true, the default), or from zeros. There are two such passes:
   * one without a penalty, a model scored at once and kept if the training stops before a better one, and one at the
   * penalty, which the solver starts from. On the peers benchmark's 900,371 Criteo-shaped rows the first came within
   * 0.34% of liblinear's test loss at its best C, where the solver's first iterate from zeros is 50% above it (time to
   * within 1% of the optimum at the defaults: 0.69x the time from zeros). For a binary model without {@link #l1}; a
   * multinomial model starts from zeros, and so does an L1 penalty (OWL-QN from a pass of AdaGrad's dual averaging, a
   * sparse start, was slower than from zeros).
   */
  public T sgdStart(boolean start) {
    sgdStart = start;
    return self();
  }

  /** Where the model is written ({@code s3://bucket/key}); default: beside the training data under models/. */
  public T modelTo(String location) {
    S3Path.parse(location);
    modelTo = location;
    return self();
  }

  /**
   * Continues the training that writes its model to the same {@link #modelTo} location from the last snapshot its
   * shards took (in MODEL.shards/) and the workers' positions recorded with it, after its driver died, instead of
   * from scratch (default false; {@code --resumeTraining} sets it for every training of a pipeline). Only shards a
   * training starts on LambdaRunner snapshot: elsewhere, or with no snapshot at the location, the training fails
   * naming it. Without resume, a training deletes the snapshots a previous one left at its location.
   */
  public T resumeFromSnapshots(boolean resume) {
    resumeFromSnapshots = resume;
    return self();
  }

  /** Whether this training continues from its snapshots: {@link #resumeFromSnapshots} or {@code --resumeTraining}. */
  boolean resumes(PipelineOptions options) {
    return resumes(resumeFromSnapshots, options);
  }

  private static boolean resumes(boolean resumeFromSnapshots, PipelineOptions options) {
    return resumeFromSnapshots || options.as(TrainingOptions.class).getResumeTraining();
  }

  /**
   * The options a hyperparameter search may vary, by name, each set through its own setter above, so a searched value
   * is checked exactly as a value set by hand.
   */
  private static final Map<String, BiConsumer<SgdTraining<?>, Number>> HYPERPARAMETERS =
      Map.of(
          "learningRate", (lr, value) -> lr.learningRate(value.floatValue()),
          "minibatchSize", (lr, value) -> lr.minibatchSize(whole("minibatchSize", value)),
          "l2", (lr, value) -> lr.l2(value.floatValue()),
          "l1", (lr, value) -> lr.l1(value.floatValue()),
          "workers", (lr, value) -> lr.workers(whole("workers", value)),
          "epochs", (lr, value) -> lr.epochs(whole("epochs", value)),
          "maxPushesInFlight", (lr, value) -> lr.maxPushesInFlight(whole("maxPushesInFlight", value)));

  /** The names {@link #with} accepts, sorted. */
  static List<String> hyperparameters() {
    return HYPERPARAMETERS.keySet().stream().sorted().toList();
  }

  /** Whether {@code name} takes whole numbers only. */
  static boolean isWhole(String name) {
    return !name.equals("learningRate") && !name.equals("l2") && !name.equals("l1");
  }

  /**
   * A copy of this training with hyperparameter {@code name} set to {@code value}; this one is unchanged. An unknown
   * name, or a value its setter refuses, is an {@link IllegalArgumentException} that says which.
   */
  T with(String name, Number value) {
    BiConsumer<SgdTraining<?>, Number> setter = HYPERPARAMETERS.get(name);
    if (setter == null) {
      throw new IllegalArgumentException(
          "unknown hyperparameter '" + name + "'; a search may vary " + String.join(", ", hyperparameters()));
    }
    T copy = copy();
    setter.accept(copy, value);
    return copy;
  }

  private static int whole(String name, Number value) {
    double d = value.doubleValue();
    if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(name + " takes whole numbers, got " + value);
    }
    return (int) d;
  }

  private T copy() {
    SgdTraining<T> copy = newTraining(validationSet);
    copy.testCurveSet = testCurveSet;
    copy.workers = workers;
    copy.psShards = psShards;
    copy.workerMemoryMb = workerMemoryMb;
    copy.optimizer = optimizer;
    copy.learningRate = learningRate;
    copy.minibatchSize = minibatchSize;
    copy.l2 = l2;
    copy.l1 = l1;
    copy.epsilon = epsilon;
    copy.window = window;
    copy.timeout = timeout;
    copy.maxCostDollars = maxCostDollars;
    copy.evalInterval = evalInterval;
    copy.epochs = epochs;
    copy.maxPushesInFlight = maxPushesInFlight;
    copy.seed = seed;
    copy.workerProcesses = workerProcesses;
    copy.prefetch = prefetch;
    copy.wireValues = wireValues;
    copy.workerLifetime = workerLifetime;
    copy.maxWorkerFailures = maxWorkerFailures;
    copy.modelTo = modelTo;
    copy.resumeFromSnapshots = resumeFromSnapshots;
    copy.solver = solver;
    copy.sgdStart = sgdStart;
    copy.sgdStepsSet = sgdStepsSet;
    return copy.self();
  }

  public TrainingSpec spec() {
    return new TrainingSpec(
        workers,
        psShards,
        workerMemoryMb,
        optimizer,
        learningRate,
        minibatchSize,
        l2,
        epsilon,
        window,
        timeout.toMillis() / 1000.0,
        evalInterval == null ? 0 : evalInterval.toMillis(),
        epochs,
        maxPushesInFlight,
        seed,
        workerProcesses,
        workerLifetime.toMillis() / 1000.0,
        maxWorkerFailures,
        prefetch,
        wireValues,
        objective(),
        l1,
        solver == Solver.AUTO && sgdStepsSet ? Solver.SGD : solver,
        maxCostDollars,
        sgdStart);
  }

  /** Refuses the shards' options (--psEndpoints, --psTls, --psTrustCertFile) when wrong, before the pipeline runs. */
  @Override
  public void validate(PipelineOptions options) {
    super.validate(options);
    TrainingOptions.check(options.as(TrainingOptions.class));
    if (resumes(options) && modelTo == null) {
      throw new IllegalArgumentException(getClass().getSimpleName()
          + ": resuming a training needs the model location it wrote its snapshots beside, modelTo(\"s3://...\"),"
          + " the same as the run to continue");
    }
  }

  @Override
  public PCollection<TrainResult> expand(PCollection<Dataset> train) {
    if (validationSet == null) {
      throw new IllegalArgumentException(
          getClass().getSimpleName() + " needs a validation set: withValidationSet(dataset)");
    }
    PCollectionView<Dataset> validation = validationSet.apply("ValidationSetView", View.asSingleton());
    PCollectionView<Dataset> testCurve =
        testCurveSet == null ? null : testCurveSet.apply("TestCurveSetView", View.asSingleton());
    List<PCollectionView<?>> sideInputs = testCurve == null ? List.of(validation) : List.of(validation, testCurve);
    return train
        .apply("Train",
            ParDo.of(new TrainFn(spec(), modelTo, resumeFromSnapshots, validation, testCurve))
                .withSideInputs(sideInputs))
        .setCoder(SerializableCoder.of(TrainResult.class));
  }

  /** Where the model goes: {@code modelTo}, or beside the training data under models/ with a time stamp. */
  static S3Path modelPath(String modelTo, Dataset train) {
    return modelTo != null ? S3Path.parse(modelTo) : besideTrainingData(train, "").resolve("model.bin");
  }

  /** {@code models/<training data's name><suffix>-<time stamp>/} in the training data's bucket. */
  static S3Path besideTrainingData(Dataset train, String suffix) {
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    return modelsOf(train, suffix + "-" + stamp);
  }

  /** {@code models/<training data's name><suffix>/} in the training data's bucket. */
  static S3Path modelsOf(Dataset train, String suffix) {
    S3Path data = train.path();
    String key = data.key().endsWith("/") ? data.key().substring(0, data.key().length() - 1) : data.key();
    String name = key.substring(key.lastIndexOf('/') + 1);
    return new S3Path(data.bucket(), "models/" + name + suffix + "/");
  }

  /**
   * The rows the driver evaluates on, the first {@link #MAX_VALIDATION_ROWS} of the set: {@code what} names it in the
   * error ("validation set", "test curve set").
   */
  static SparseRow[] evaluationRows(ObjectStore store, List<Dataset> sets, String transform, String what)
      throws Exception {
    return DatasetReader.firstRows(store, evaluationSet(sets, transform, what), MAX_VALIDATION_ROWS);
  }

  /**
   * {@link #evaluationRows}, read on a thread of their own while the caller starts its shards (each takes most of a
   * second); {@link Futures#result} waits for them. A set that is not one dataset is refused at once.
   */
  static Future<SparseRow[]> evaluationRowsMeanwhile(ObjectStore store, List<Dataset> sets, String transform,
      String what) {
    Dataset set = evaluationSet(sets, transform, what);
    FutureTask<SparseRow[]> rows = new FutureTask<>(() -> DatasetReader.firstRows(store, set, MAX_VALIDATION_ROWS));
    new DaemonThreadFactory("evaluation-rows").newThread(rows).start();
    return rows;
  }

  private static Dataset evaluationSet(List<Dataset> sets, String transform, String what) {
    if (sets.size() != 1) {
      throw new IllegalArgumentException(transform + ": the " + what + " must be one dataset, got " + sets.size());
    }
    return sets.get(0);
  }

  /** Runs {@code job}, shown as one line on {@code console}: its state, loss, updates/s, workers and time. */
  static TrainResult runShown(TrainingDriver job, ConsoleView console, TrainingSpec spec, S3Path modelPath)
      throws Exception {
    console.waiting(0, "training");
    console.counts(0, job.updatesName());
    job.observeWorkers(count -> console.workers(0, count));
    console.running(0, spec.workers(), "running");
    job.withoutStatusLines().observeEvaluations(point -> {
      console.evaluated(0, point);
      return null;
    });
    TrainResult result = job.run(modelPath);
    List<CurvePoint> curve = result.curve();
    console.ended(0, result.stopReason().name().toLowerCase(Locale.ROOT), result.validationMetrics().loss(),
        result.updates(), curve.isEmpty() ? 0 : curve.get(curve.size() - 1).seconds());
    return result;
  }

  /** The workers of the default expansion: JVMs of their own with {@link #workerProcesses}, else threads. */
  static WorkerLauncher localWorkers(TrainingSpec spec) {
    int memoryMb = spec.localWorkerMemoryMb();
    return spec.workerProcesses() ? new ProcessWorkers(memoryMb) : new ThreadWorkers(memoryMb);
  }

  /** The default expansion: the whole job inside this DoFn, with in-process shards and worker threads or JVMs. */
  static final class TrainFn extends StoreDoFn<Dataset, TrainResult> {
    private final TrainingSpec spec;
    private final String modelTo;
    private final boolean resumeFromSnapshots;
    private final PCollectionView<Dataset> validation;
    private final PCollectionView<Dataset> testCurve;

    TrainFn(TrainingSpec spec, String modelTo, boolean resumeFromSnapshots, PCollectionView<Dataset> validation,
        PCollectionView<Dataset> testCurve) {
      this.spec = spec;
      this.modelTo = modelTo;
      this.resumeFromSnapshots = resumeFromSnapshots;
      this.validation = validation;
      this.testCurve = testCurve;
    }

    @ProcessElement
    public void process(@Element Dataset train, ProcessContext c) throws Exception {
      long launched = System.nanoTime(); // the training's clock counts its launch, shards and evaluation rows included
      SparseRow[] validationRows = DatasetReader.firstRows(store, c.sideInput(validation), MAX_VALIDATION_ROWS);
      TrainingOptions options = c.getPipelineOptions().as(TrainingOptions.class);
      try (ConsoleView console = ConsoleView.onStandardOutput();
          Shards shards = TrainingOptions.shards(options, spec);
          WorkerLauncher workers = localWorkers(spec);
          TrainingDriver job =
              new TrainingDriver(spec, store, store.reachableSpec(), train, validationRows, shards, workers,
                  console::message)) {
        if (resumes(resumeFromSnapshots, c.getPipelineOptions())) {
          job.resumingFromSnapshots(); // fails at run: in-process shards take no snapshots
        }
        if (testCurve != null) {
          job.testCurveOn(DatasetReader.firstRows(store, c.sideInput(testCurve), MAX_VALIDATION_ROWS));
        }
        job.launchedAt(launched);
        c.output(runShown(job, console, spec, modelPath(modelTo, train)));
      }
    }
  }
}
