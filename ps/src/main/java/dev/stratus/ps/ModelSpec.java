package dev.stratus.ps;

/**
 * The shape of a model and how the server updates it: a float matrix of {@code rows x cols} whose rows are the
 * keys of pull and push (a dense vector is one column), sliced across shards by row range.
 *
 * <pre>{@code
 * ModelSpec lr = ModelSpec.vector(19).optimizer(Optimizer.ADAGRAD).learningRate(0.05f).l2(1e-5f);
 * ModelSpec mf = ModelSpec.matrix(10_000, 16).optimizer(Optimizer.MOMENTUM).momentum(0.9f);
 * }</pre>
 */
public record ModelSpec(int rows, int cols, Optimizer optimizer, float learningRate, float l2, float momentum) {
  public ModelSpec {
    if (rows <= 0 || cols <= 0) {
      throw new IllegalArgumentException("a model needs rows > 0 and cols > 0, got " + rows + " x " + cols);
    }
    if ((long) rows * cols > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a model of " + rows + " x " + cols + " floats does not fit in one array");
    }
    if (optimizer == null) {
      throw new IllegalArgumentException("a model needs an optimizer");
    }
    if (!(learningRate > 0) || !(l2 >= 0) || !(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException(
          "need learningRate > 0, l2 >= 0 and 0 <= momentum < 1, got " + learningRate + ", " + l2 + ", " + momentum);
    }
  }

  /** A dense vector of {@code 2^modelBits} floats (hashed features), plain SGD at learning rate 0.1. */
  public static ModelSpec vector(int modelBits) {
    if (modelBits < 0 || modelBits > 30) {
      throw new IllegalArgumentException("modelBits must be in [0, 30], got " + modelBits);
    }
    return new ModelSpec(1 << modelBits, 1, Optimizer.SGD, 0.1f, 0f, 0f);
  }

  /** A {@code rows x cols} matrix (a factor model's embeddings), plain SGD at learning rate 0.1. */
  public static ModelSpec matrix(int rows, int cols) {
    return new ModelSpec(rows, cols, Optimizer.SGD, 0.1f, 0f, 0f);
  }

  public ModelSpec optimizer(Optimizer optimizer) {
    return new ModelSpec(rows, cols, optimizer, learningRate, l2, momentum);
  }

  public ModelSpec learningRate(float learningRate) {
    return new ModelSpec(rows, cols, optimizer, learningRate, l2, momentum);
  }

  public ModelSpec l2(float l2) {
    return new ModelSpec(rows, cols, optimizer, learningRate, l2, momentum);
  }

  public ModelSpec momentum(float momentum) {
    return new ModelSpec(rows, cols, optimizer, learningRate, l2, momentum);
  }

  /** Floats in the whole model. */
  public long size() {
    return (long) rows * cols;
  }
}
