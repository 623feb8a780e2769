package dev.stratus.jobs.train;

import dev.stratus.kernels.sgd.LinearObjective;
import dev.stratus.kernels.sgd.Objective;

/** How a training reaches its optimum. */
public enum Solver {
  /**
   * Asynchronous SGD on the parameter server: each worker pulls the rows a minibatch touches, pushes its gradient, and
   * goes on; for any model, and data of any size, since workers stream their partitions.
   */
  SGD,
  /**
   * Limited-memory BFGS (OWL-QN with an L1 penalty) for convex linear models: each worker holds its partitions in
   * memory and computes its rows' loss and gradient at the point the driver sets on the shards, the shards sum the
   * gradients, and the driver takes the quasi-Newton step with a line search. The exact optimum of the regularised
   * objective in tens of passes, for data the workers' memory holds.
   */
  LBFGS,
  /**
   * {@link #LBFGS} where it applies and the training set fits the workers' memory, {@link #SGD} otherwise: chosen by
   * the driver when the training starts ({@link #choose}).
   */
  AUTO;

  /**
   * Whether this solver can train {@code objective}: L-BFGS a linear model (a hinge SVM by descending its hinge
   * smoothed, {@link LinearObjective#smooth}), the others anything.
   */
  public boolean trains(Objective objective) {
    return this != LBFGS || objective instanceof LinearObjective;
  }

  /**
   * Stored bytes a worker's rows take in its memory at most, decoded and laid out, for each byte of their partitions:
   * about 20 bytes an entry against 2 to 6 stored (LZ4 over gap-coded indices), and room for the decoding.
   */
  static final int MEMORY_PER_STORED_BYTE = 12;

  /**
   * {@link #AUTO}'s choice: {@link #LBFGS} for a linear model whose partitions, {@code
   * storedBytesPerWorker} of them a worker, take at most half of {@code memoryPerWorker} once held; else {@link #SGD},
   * whose workers stream their partitions.
   */
  static Solver choose(Objective objective, long storedBytesPerWorker, long memoryPerWorker) {
    return LBFGS.trains(objective) && storedBytesPerWorker * MEMORY_PER_STORED_BYTE <= memoryPerWorker / 2 ? LBFGS : SGD;
  }
}
