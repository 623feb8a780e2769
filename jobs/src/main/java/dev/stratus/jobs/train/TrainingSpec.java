package dev.stratus.jobs.train;

import dev.stratus.kernels.sgd.FactorObjective;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearObjective;
import dev.stratus.kernels.sgd.Objective;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.WireValues;
import java.io.Serializable;
import java.util.function.DoubleSupplier;

/**
 * Everything a training job needs to know besides its data: sizes, the optimizer, when to stop, and how long a worker
 * lives. Built and validated by the DSL's {@code LogisticRegression} builder; shipped as is to wherever the workers
 * run.
 *
 * @param workers number of workers; {@link #AUTO_WORKERS} for the driver to choose ({@link WorkerScaling})
 * @param psShards number of parameter-server shards; {@link #AUTO_SHARDS} for one to start, to which the driver of an
 *     L-BFGS training whose workers it chooses adds where they saturate ({@link WorkerScaling})
 * @param workerMemoryMb memory of one worker in MB, which bounds its prefetching (and on Lambda its CPU); {@link
 *     #AUTO_MEMORY} for the driver to choose among the sizes the workers are offered at ({@link WorkerMemory})
 * @param learningRate the optimizer's step size
 * @param minibatchSize rows per gradient
 * @param l2 L2 penalty, applied by the server at every push, to every weight for a linear model (its mean loss plus
 *     {@code l2 / 2} times the squared weights), to those the push touches for a factorization; NaN for the default:
 *     for a linear model one chosen on the validation set from a {@link PenaltyPath}, for a factorization 1 / the
 *     training set's rows ({@link #forTrainingSet})
 * @param epsilon stop when the best validation loss improves by less than this over {@code window} evaluations
 * @param window evaluations over which {@code epsilon} is judged
 * @param timeoutSeconds stop after this long
 * @param evalIntervalMillis time between two validation-loss evaluations; 0 to pace them by the data ({@link
 *     EvaluationPace})
 * @param epochs passes over the training data per worker; 0 for no limit (stop on epsilon or timeout)
 * @param maxPushesInFlight gradients a worker sends before waiting for the first reply
 * @param seed seeds the order in which workers visit partitions
 * @param workerProcesses run each worker of the default expansion in a JVM of its own with a heap of {@code
 *     workerMemoryMb}, not in a thread
 * @param workerLifetimeSeconds a worker generation hands over to its successor after this long (a Lambda worker also
 *     before its function's timeout)
 * @param maxWorkerFailures deaths of one worker the job survives, each followed by a successor; one more fails it
 * @param prefetch workers fetch their next partitions while they compute (the default); without, a worker fetches
 *     each partition when it reaches it
 * @param wireValues how workers' pulls and pushes carry weights and gradients (float32 when null, the default)
 * @param objective what is learnt: a linear model of a loss (logistic regression when null, the default) or a
 *     matrix factorization
 * @param l1 L1 penalty of a linear model, applied by the server at every push to every weight (its mean loss plus
 *     {@code l1} times the absolute weights): a sparse model; 0 for none, the default. With it, a default {@code l2}
 *     is 0, as in liblinear's L1-regularised solvers
 * @param solver how the optimum is reached: asynchronous SGD (when null, the default) or L-BFGS on full-batch
 *     gradients, for a linear model
 * @param maxCostDollars stop with the best model so far once the workers cost this much at AWS Lambda's prices (their
 *     GB-seconds and invocations, {@code Prices}); 0 for no cap, the default
 * @param sgdStart L-BFGS without an L1 penalty, for a binary model, starts from the workers' models after a pass of
 *     AdaGrad at {@code learningRate} over their rows at the penalty, averaged, with one without a penalty scored
 *     before it (the default), not from zeros
 */
public record TrainingSpec(
    int workers,
    int psShards,
    int workerMemoryMb,
    Optimizer optimizer,
    float learningRate,
    int minibatchSize,
    float l2,
    double epsilon,
    int window,
    double timeoutSeconds,
    long evalIntervalMillis,
    int epochs,
    int maxPushesInFlight,
    long seed,
    boolean workerProcesses,
    double workerLifetimeSeconds,
    int maxWorkerFailures,
    boolean prefetch,
    WireValues wireValues,
    Objective objective,
    float l1,
    Solver solver,
    double maxCostDollars,
    boolean sgdStart)
    implements Serializable {
  /** The {@code workers} of a training whose driver chooses how many. */
  public static final int AUTO_WORKERS = 0;
  /** The {@code psShards} of a training whose driver chooses how many. */
  public static final int AUTO_SHARDS = 0;
  /** The {@code workerMemoryMb} of a training whose driver chooses it among the sizes its workers are offered at. */
  public static final int AUTO_MEMORY = 0;
  /** A worker's memory on the DirectRunner where the spec sets none: one vCPU's on Lambda. */
  public static final int LOCAL_MEMORY_MB = 1769;

  public TrainingSpec {
    wireValues = wireValues == null ? WireValues.FLOAT32 : wireValues;
    solver = solver == null ? Solver.SGD : solver;
    objective = objective == null ? LinearObjective.of(LinearLoss.LOGISTIC) : objective;
    if (!(l1 >= 0 && l1 < Float.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException("l1 must be finite and >= 0, got " + l1);
    }
    if (l1 > 0 && !objective.penalisesAllValues()) {
      throw new IllegalArgumentException("an L1 penalty is for linear models, not " + objective);
    }
    checkSolver(solver, objective);
    if (workerMemoryMb != AUTO_MEMORY && (workerMemoryMb < 128 || workerMemoryMb > 10_240)) {
      throw new IllegalArgumentException(
          "workerMemoryMb must be 128 to 10240, or 0 (chosen by the driver), got " + workerMemoryMb);
    }
    if (psShards < AUTO_SHARDS) {
      throw new IllegalArgumentException("psShards must be >= 0 (0: chosen by the driver), got " + psShards);
    }
    if (!(maxCostDollars >= 0 && maxCostDollars < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException("maxCostDollars must be finite and >= 0, got " + maxCostDollars);
    }
  }

  /** The memory of a worker thread or process of the DirectRunner: as set, else {@link #LOCAL_MEMORY_MB}. */
  public int localWorkerMemoryMb() {
    return workerMemoryMb == AUTO_MEMORY ? LOCAL_MEMORY_MB : workerMemoryMb;
  }

  /** The shards a job of this spec starts with: as many as set, one when the driver chooses. */
  public int shardsToStart() {
    return psShards == AUTO_SHARDS ? 1 : psShards;
  }

  /** A spec whose L-BFGS starts from a pass of SGD, the default. */
  public TrainingSpec(int workers, int psShards, int workerMemoryMb, Optimizer optimizer, float learningRate,
      int minibatchSize, float l2, double epsilon, int window, double timeoutSeconds, long evalIntervalMillis,
      int epochs, int maxPushesInFlight, long seed, boolean workerProcesses, double workerLifetimeSeconds,
      int maxWorkerFailures, boolean prefetch, WireValues wireValues, Objective objective, float l1, Solver solver,
      double maxCostDollars) {
    this(workers, psShards, workerMemoryMb, optimizer, learningRate, minibatchSize, l2, epsilon, window,
        timeoutSeconds, evalIntervalMillis, epochs, maxPushesInFlight, seed, workerProcesses, workerLifetimeSeconds,
        maxWorkerFailures, prefetch, wireValues, objective, l1, solver, maxCostDollars, true);
  }

  /** This spec whose L-BFGS starts from a pass of SGD ({@code true}) or from zeros. */
  public TrainingSpec withSgdStart(boolean start) {
    return new TrainingSpec(workers, psShards, workerMemoryMb, optimizer, learningRate, minibatchSize, l2, epsilon,
        window, timeoutSeconds, evalIntervalMillis, epochs, maxPushesInFlight, seed, workerProcesses,
        workerLifetimeSeconds, maxWorkerFailures, prefetch, wireValues, objective, l1, solver, maxCostDollars, start);
  }

  /** A spec with no cost cap. */
  public TrainingSpec(int workers, int psShards, int workerMemoryMb, Optimizer optimizer, float learningRate,
      int minibatchSize, float l2, double epsilon, int window, double timeoutSeconds, long evalIntervalMillis,
      int epochs, int maxPushesInFlight, long seed, boolean workerProcesses, double workerLifetimeSeconds,
      int maxWorkerFailures, boolean prefetch, WireValues wireValues, Objective objective, float l1, Solver solver) {
    this(workers, psShards, workerMemoryMb, optimizer, learningRate, minibatchSize, l2, epsilon, window,
        timeoutSeconds, evalIntervalMillis, epochs, maxPushesInFlight, seed, workerProcesses, workerLifetimeSeconds,
        maxWorkerFailures, prefetch, wireValues, objective, l1, solver, 0);
  }

  /** Refuses a solver that cannot train {@code objective}: L-BFGS is for linear models. */
  public static void checkSolver(Solver solver, Objective objective) {
    if (!solver.trains(objective)) {
      throw new IllegalArgumentException("solver LBFGS is for linear models (logistic, linear SVM, multinomial), not "
          + objective + ": train it with SGD");
    }
  }

  /** A spec trained by asynchronous SGD. */
  public TrainingSpec(int workers, int psShards, int workerMemoryMb, Optimizer optimizer, float learningRate,
      int minibatchSize, float l2, double epsilon, int window, double timeoutSeconds, long evalIntervalMillis,
      int epochs, int maxPushesInFlight, long seed, boolean workerProcesses, double workerLifetimeSeconds,
      int maxWorkerFailures, boolean prefetch, WireValues wireValues, Objective objective, float l1) {
    this(workers, psShards, workerMemoryMb, optimizer, learningRate, minibatchSize, l2, epsilon, window,
        timeoutSeconds, evalIntervalMillis, epochs, maxPushesInFlight, seed, workerProcesses, workerLifetimeSeconds,
        maxWorkerFailures, prefetch, wireValues, objective, l1, Solver.SGD);
  }

  /** A spec without an L1 penalty. */
  public TrainingSpec(int workers, int psShards, int workerMemoryMb, Optimizer optimizer, float learningRate,
      int minibatchSize, float l2, double epsilon, int window, double timeoutSeconds, long evalIntervalMillis,
      int epochs, int maxPushesInFlight, long seed, boolean workerProcesses, double workerLifetimeSeconds,
      int maxWorkerFailures, boolean prefetch, WireValues wireValues, Objective objective) {
    this(workers, psShards, workerMemoryMb, optimizer, learningRate, minibatchSize, l2, epsilon, window,
        timeoutSeconds, evalIntervalMillis, epochs, maxPushesInFlight, seed, workerProcesses, workerLifetimeSeconds,
        maxWorkerFailures, prefetch, wireValues, objective, 0f);
  }

  /** A logistic regression's spec whose workers send float32 values, the default. */
  public TrainingSpec(int workers, int psShards, int workerMemoryMb, Optimizer optimizer, float learningRate,
      int minibatchSize, float l2, double epsilon, int window, double timeoutSeconds, long evalIntervalMillis,
      int epochs, int maxPushesInFlight, long seed, boolean workerProcesses, double workerLifetimeSeconds,
      int maxWorkerFailures, boolean prefetch) {
    this(workers, psShards, workerMemoryMb, optimizer, learningRate, minibatchSize, l2, epsilon, window,
        timeoutSeconds, evalIntervalMillis, epochs, maxPushesInFlight, seed, workerProcesses, workerLifetimeSeconds,
        maxWorkerFailures, prefetch, WireValues.FLOAT32, null);
  }

  /** This spec with workers sending {@code values}. */
  public TrainingSpec withWireValues(WireValues values) {
    return new TrainingSpec(workers, psShards, workerMemoryMb, optimizer, learningRate, minibatchSize, l2, epsilon,
        window, timeoutSeconds, evalIntervalMillis, epochs, maxPushesInFlight, seed, workerProcesses,
        workerLifetimeSeconds, maxWorkerFailures, prefetch, values, objective, l1, solver, maxCostDollars, sgdStart);
  }

  /** This spec with {@code count} workers. */
  public TrainingSpec withWorkers(int count) {
    return new TrainingSpec(count, psShards, workerMemoryMb, optimizer, learningRate, minibatchSize, l2, epsilon,
        window, timeoutSeconds, evalIntervalMillis, epochs, maxPushesInFlight, seed, workerProcesses,
        workerLifetimeSeconds, maxWorkerFailures, prefetch, wireValues, objective, l1, solver, maxCostDollars,
        sgdStart);
  }

  /** This spec with workers of {@code memoryMb}, or {@link #AUTO_MEMORY}. */
  public TrainingSpec withWorkerMemoryMb(int memoryMb) {
    return new TrainingSpec(workers, psShards, memoryMb, optimizer, learningRate, minibatchSize, l2, epsilon,
        window, timeoutSeconds, evalIntervalMillis, epochs, maxPushesInFlight, seed, workerProcesses,
        workerLifetimeSeconds, maxWorkerFailures, prefetch, wireValues, objective, l1, solver, maxCostDollars,
        sgdStart);
  }

  /** This spec solved by {@code how}. */
  public TrainingSpec withSolver(Solver how) {
    return new TrainingSpec(workers, psShards, workerMemoryMb, optimizer, learningRate, minibatchSize, l2, epsilon,
        window, timeoutSeconds, evalIntervalMillis, epochs, maxPushesInFlight, seed, workerProcesses,
        workerLifetimeSeconds, maxWorkerFailures, prefetch, wireValues, objective, l1, how, maxCostDollars, sgdStart);
  }

  /** This spec stopping after {@code seconds} or at {@code dollars} of workers (0: no cap), whichever comes first. */
  public TrainingSpec withLimits(double seconds, double dollars) {
    return new TrainingSpec(workers, psShards, workerMemoryMb, optimizer, learningRate, minibatchSize, l2, epsilon,
        window, seconds, evalIntervalMillis, epochs, maxPushesInFlight, seed, workerProcesses, workerLifetimeSeconds,
        maxWorkerFailures, prefetch, wireValues, objective, l1, solver, dollars, sgdStart);
  }

  /** This spec with L2 penalty {@code penalty}. */
  public TrainingSpec withL2(float penalty) {
    return new TrainingSpec(workers, psShards, workerMemoryMb, optimizer, learningRate, minibatchSize, penalty, epsilon,
        window, timeoutSeconds, evalIntervalMillis, epochs, maxPushesInFlight, seed, workerProcesses,
        workerLifetimeSeconds, maxWorkerFailures, prefetch, wireValues, objective, l1, solver, maxCostDollars,
        sgdStart);
  }

  /**
   * This spec for its training set, with what the defaults take from it: a default l2 (NaN) becomes {@code 1 / rows},
   * the penalty of scikit-learn's and liblinear's default C = 1 ({@code C} times the summed loss plus half the squared
   * weights is the mean loss plus {@code 1 / (2 C n)} times the squared weights), so a small data set is regularised
   * enough not to overfit over many passes and a large one barely; a factorization starts from {@code meanLabel}'s
   * mean rating (asked only then). With an L1 penalty a default l2 is 0.
   */
  public TrainingSpec forTrainingSet(long rows, DoubleSupplier meanLabel) {
    float resolvedL2 = !Float.isNaN(l2) ? l2 : l1 > 0 ? 0f : (float) (1.0 / Math.max(1, rows));
    Objective resolved = objective instanceof FactorObjective factors && Float.isNaN(factors.mean())
        ? factors.withMean(meanLabel.getAsDouble())
        : objective;
    return new TrainingSpec(workers, psShards, workerMemoryMb, optimizer, learningRate, minibatchSize, resolvedL2,
        epsilon, window, timeoutSeconds, evalIntervalMillis, epochs, maxPushesInFlight, seed, workerProcesses,
        workerLifetimeSeconds, maxWorkerFailures, prefetch, wireValues, resolved, l1, solver, maxCostDollars, sgdStart);
  }

  /** A spec whose workers prefetch, the default. */
  public TrainingSpec(int workers, int psShards, int workerMemoryMb, Optimizer optimizer, float learningRate,
      int minibatchSize, float l2, double epsilon, int window, double timeoutSeconds, long evalIntervalMillis,
      int epochs, int maxPushesInFlight, long seed, boolean workerProcesses, double workerLifetimeSeconds,
      int maxWorkerFailures) {
    this(workers, psShards, workerMemoryMb, optimizer, learningRate, minibatchSize, l2, epsilon, window,
        timeoutSeconds, evalIntervalMillis, epochs, maxPushesInFlight, seed, workerProcesses, workerLifetimeSeconds,
        maxWorkerFailures, true);
  }

  /** Bytes of decoded partitions a worker of {@code memoryMb} may hold ahead of its computation: a quarter. */
  public static long prefetchBudgetBytes(int memoryMb) {
    return (long) memoryMb * (1 << 20) / 4;
  }
}
