package dev.stratus.ps;

/** How a shard turns a pushed gradient into a model update; L2 adds {@code l2 * w} to each gradient first. */
public enum Optimizer {
  /** {@code w -= lr * g}. */
  SGD,
  /** {@code h += g^2; w -= lr * g / (sqrt(h) + 1e-8)}: a per-weight step size, the usual choice for sparse data. */
  ADAGRAD,
  /** {@code v = momentum * v + g; w -= lr * v}. */
  MOMENTUM
}
