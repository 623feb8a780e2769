package dev.stratus.ps;

/** How a shard turns a pushed gradient into a model update; L2 adds {@code l2 * w} to each gradient first. */
public enum Optimizer {
  /** {@code w -= lr * g}. */
  SGD,
  /** {@code h += g^2; w -= lr * g / (sqrt(h) + 1e-8)}: a per-weight step size, the usual choice for sparse data. */
  ADAGRAD,
  /** {@code v = momentum * v + g; w -= lr * v}. */
  MOMENTUM;

  static final float ADAGRAD_EPSILON = 1e-8f;

  /**
   * Applies {@code gradients[k]} to weight {@code keys[k]} for each {@code k < count}, with {@code state} the
   * optimizer's memory of each weight. The rule is picked once for the whole list, not once per weight.
   */
  public void apply(float[] weights, float[] state, int[] keys, float[] gradients, int count, float lr, float l2,
      float momentum) {
    switch (this) {
      case SGD -> {
        for (int k = 0; k < count; k++) {
          sgd(weights, keys[k], gradients[k], lr, l2);
        }
      }
      case ADAGRAD -> {
        for (int k = 0; k < count; k++) {
          adagrad(weights, state, keys[k], gradients[k], lr, l2);
        }
      }
      case MOMENTUM -> {
        for (int k = 0; k < count; k++) {
          momentum(weights, state, keys[k], gradients[k], lr, l2, momentum);
        }
      }
    }
  }

  /**
   * The step size weight {@code j} takes now: {@code lr}, or AdaGrad's {@code lr / sqrt(h)}; {@code lr} while its sum
   * is empty (a new model's, or one whose state started again), the size of AdaGrad's first step.
   */
  public float rate(float[] state, int j, float lr) {
    if (this != ADAGRAD) {
      return lr;
    }
    float h = state[j];
    return h > 0 ? lr / ((float) Math.sqrt(h) + ADAGRAD_EPSILON) : lr;
  }

  /**
   * The L2 penalty of {@code pushes} pushes taken at once by a weight no push touched meanwhile, as one proximal
   * step at step size {@code rate}: toward zero, never past it, however many pushes it missed.
   */
  public static float shrink(float w, float rate, float l2, int pushes) {
    return w / (1 + rate * l2 * pushes);
  }

  /**
   * Weight {@code j} with the L2 penalty of {@code pushes} pushes it missed taken at once ({@link #shrink}), at the
   * step size it has now ({@link #rate}): how a model penalised at every push settles, lazily, a weight no push
   * touched meanwhile, on a shard and in a worker's pass of SGD that steps as one.
   */
  public float penalised(float[] weights, float[] state, int j, float lr, float l2, int pushes) {
    return shrink(weights[j], rate(state, j, lr), l2, pushes);
  }

  /**
   * A weight under an L1 penalty, AdaGrad's dual averaging (Duchi, Hazan and Singer's RDA form): computed from the
   * sum of its gradients {@code sum} and of their squares {@code squares} after {@code steps} pushes, as the
   * minimiser of {@code sum * w + steps * (l1 |w| + l2 / 2 w^2) + (sqrt(squares) / lr) / 2 w^2}: exactly zero while
   * the mean gradient {@code |sum| / steps} stays within {@code l1}, which is when the L1 optimum holds it at zero.
   * A weight no push touched still moves as {@code steps} grows, so the model is what it is at any moment, untouched
   * weights included, without a pass over them.
   */
  public static float dualAveraged(float sum, float squares, float lr, float l1, float l2, long steps) {
    float excess = Math.abs(sum) - l1 * steps;
    if (excess <= 0) {
      return 0f;
    }
    float w = excess / (((float) Math.sqrt(squares) + ADAGRAD_EPSILON) / lr + l2 * steps);
    return sum > 0 ? -w : w;
  }

  // The rules one by one: the one definition of each, which shards apply to their slice and the local SGD kernel to
  // a model in memory; a shard picks the rule once per block of rows rather than once per weight.

  public static void sgd(float[] w, int j, float gradient, float lr, float l2) {
    w[j] -= lr * (gradient + l2 * w[j]);
  }

  public static void adagrad(float[] w, float[] h, int j, float gradient, float lr, float l2) {
    float g = gradient + l2 * w[j];
    float sum = h[j] + g * g;
    h[j] = sum;
    w[j] -= lr * g / ((float) Math.sqrt(sum) + ADAGRAD_EPSILON);
  }

  public static void momentum(float[] w, float[] v, int j, float gradient, float lr, float l2, float mu) {
    float g = gradient + l2 * w[j];
    float velocity = mu * v[j] + g;
    v[j] = velocity;
    w[j] -= lr * velocity;
  }
}
