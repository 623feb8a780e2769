package dev.stratus.jobs.train;

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
  LBFGS
}
