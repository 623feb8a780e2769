package dev.stratus.jobs.train;

import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.ps.Optimizer;
import dev.stratus.ps.WireValues;
import java.io.Serializable;

/**
 * Everything a training job needs to know besides its data: sizes, the optimizer, when to stop, and how long a worker
 * lives. Built and validated by the DSL's {@code LogisticRegression} builder; shipped as is to wherever the workers
 * run.
 *
 * @param workers number of SGD workers
 * @param psShards number of parameter-server shards
 * @param workerMemoryMb memory of one worker, from which its prefetch budget is derived (a Lambda worker uses its
 *     function's memory instead)
 * @param learningRate the optimizer's step size
 * @param minibatchSize rows per gradient
 * @param l2 L2 penalty, applied by the server to the weights a gradient touches; NaN for the default, 1 / the training
 *     set's rows ({@link #forTrainingRows})
 * @param epsilon stop when the best validation loss improves by less than this over {@code window} evaluations
 * @param window evaluations over which {@code epsilon} is judged
 * @param timeoutSeconds stop after this long
 * @param evalIntervalMillis time between two validation-loss evaluations
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
 * @param loss the model's loss (logistic regression when null, the default; a linear SVM's hinge or squared hinge;
 *     multinomial logistic regression's)
 * @param classes classes the model tells apart: 2 for the binary losses (0 reads as 2), K for {@link
 *     LinearLoss#MULTINOMIAL}, whose shards hold K values per feature
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
    LinearLoss loss,
    int classes)
    implements Serializable {

  public TrainingSpec {
    wireValues = wireValues == null ? WireValues.FLOAT32 : wireValues;
    loss = loss == null ? LinearLoss.LOGISTIC : loss;
    classes = classes == 0 && !loss.multiclass() ? 2 : classes;
    if (classes < 2 || (!loss.multiclass() && classes != 2)) {
      throw new IllegalArgumentException(loss + " trains " + (loss.multiclass() ? "2 classes or more" : "2 classes")
          + ", got " + classes);
    }
  }

  /** A logistic regression's spec whose workers send float32 values, the default. */
  public TrainingSpec(int workers, int psShards, int workerMemoryMb, Optimizer optimizer, float learningRate,
      int minibatchSize, float l2, double epsilon, int window, double timeoutSeconds, long evalIntervalMillis,
      int epochs, int maxPushesInFlight, long seed, boolean workerProcesses, double workerLifetimeSeconds,
      int maxWorkerFailures, boolean prefetch) {
    this(workers, psShards, workerMemoryMb, optimizer, learningRate, minibatchSize, l2, epsilon, window,
        timeoutSeconds, evalIntervalMillis, epochs, maxPushesInFlight, seed, workerProcesses, workerLifetimeSeconds,
        maxWorkerFailures, prefetch, WireValues.FLOAT32, LinearLoss.LOGISTIC, 2);
  }

  /** This spec with workers sending {@code values}. */
  public TrainingSpec withWireValues(WireValues values) {
    return new TrainingSpec(workers, psShards, workerMemoryMb, optimizer, learningRate, minibatchSize, l2, epsilon,
        window, timeoutSeconds, evalIntervalMillis, epochs, maxPushesInFlight, seed, workerProcesses,
        workerLifetimeSeconds, maxWorkerFailures, prefetch, values, loss, classes);
  }

  /**
   * This spec for a training set of {@code rows} rows: a default l2 (NaN) becomes {@code 1 / rows}. That is the
   * penalty of scikit-learn's and liblinear's default C = 1 ({@code C} times the summed loss plus half the squared
   * weights is the mean loss plus {@code 1 / (2 C n)} times the squared weights): a small data set is regularised
   * enough not to overfit over many passes, a large one barely.
   */
  public TrainingSpec forTrainingRows(long rows) {
    if (!Float.isNaN(l2)) {
      return this;
    }
    return new TrainingSpec(workers, psShards, workerMemoryMb, optimizer, learningRate, minibatchSize,
        (float) (1.0 / Math.max(1, rows)), epsilon, window, timeoutSeconds, evalIntervalMillis, epochs,
        maxPushesInFlight, seed, workerProcesses, workerLifetimeSeconds, maxWorkerFailures, prefetch, wireValues, loss,
        classes);
  }

  /** Values per feature on the shards, and margins per row: 1, or K for K classes. */
  public int columns() {
    return loss.columns(classes);
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
