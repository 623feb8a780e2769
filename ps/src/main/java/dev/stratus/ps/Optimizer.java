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
   * Applies gradient {@code g} to weight {@code j}, with {@code state[j]} the optimizer's memory of that weight. The
   * one definition of each rule: shards apply it to their slice, and the local SGD kernel to a model in memory.
   */
  public void apply(float[] weights, float[] state, int j, float g, float lr, float l2, float momentum) {
    switch (this) {
      case SGD -> sgd(weights, j, g, lr, l2);
      case ADAGRAD -> adagrad(weights, state, j, g, lr, l2);
      case MOMENTUM -> momentum(weights, state, j, g, lr, l2, momentum);
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

  // The rules one by one, for a shard that picks the rule once per block of rows rather than once per weight.

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
