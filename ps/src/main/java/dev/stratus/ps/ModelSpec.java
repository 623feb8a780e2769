package dev.stratus.ps;

/**
 * The shape of a model and how the server updates it: a float matrix of {@code rows x cols} whose rows are the
 * keys of pull and push (a dense vector is one column), sliced across shards by row range.
 *
 * <pre>{@code
 * ModelSpec lr = ModelSpec.vector(19).optimizer(Optimizer.ADAGRAD).learningRate(0.05f).l2(1e-5f);
 * ModelSpec sparse = ModelSpec.vector(19).optimizer(Optimizer.ADAGRAD).l1(1e-5f).l2AllRows(true);
 * ModelSpec mf = ModelSpec.matrix(10_000, 16).optimizer(Optimizer.MOMENTUM).momentum(0.9f).initScale(0.01f);
 * }</pre>
 *
 * @param initScale where a new model's values start: 0 for zeros, else {@link #initialValue}, uniform in
 *     {@code [-initScale, initScale]}; a factor model needs the latter, as zero is a saddle point of its loss
 * @param l2AllRows whether {@code l2} penalises every row at every push, the rows no push touched too (a linear
 *     model's {@code l2 / 2 * |w|^2} added to its mean loss; a shard applies what a row missed when a push next
 *     touches it, and to what a whole-model read returns), or only the rows a push touches (a factorization's
 *     penalty per observed rating)
 * @param l1 an L1 penalty ({@code l1 * |w|_1} added to the mean loss) on every row at every push, as {@code l2} with
 *     {@code l2AllRows}, which it needs, with AdaGrad: the shard then keeps each value's gradient sum and computes the
 *     value by dual averaging ({@link Optimizer#dualAveraged}), exactly zero where the data does not hold it up (a
 *     sparse model)
 * @param snapshotted whether shards that snapshot take the model into their snapshots ({@link #snapshotted(boolean)})
 */
public record ModelSpec(int rows, int cols, Optimizer optimizer, float learningRate, float l2, float momentum,
    float initScale, boolean l2AllRows, float l1, boolean snapshotted) {
  private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L; // SplitMix64's step between seeds

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
    if (!(initScale >= 0 && initScale < Float.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException("initScale must be finite and >= 0 (0 starts at zeros), got " + initScale);
    }
    if (!(l1 >= 0 && l1 < Float.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException("l1 must be finite and >= 0, got " + l1);
    }
    if (l1 > 0 && (!l2AllRows || optimizer != Optimizer.ADAGRAD)) {
      throw new IllegalArgumentException("an L1 penalty is on every row (l2AllRows) with AdaGrad; this spec has "
          + optimizer + (l2AllRows ? "" : " and the penalty on touched rows only"));
    }
  }

  /** A dense vector of {@code 2^modelBits} floats (hashed features), plain SGD at learning rate 0.1, from zeros. */
  public static ModelSpec vector(int modelBits) {
    if (modelBits < 0 || modelBits > 30) {
      throw new IllegalArgumentException("modelBits must be in [0, 30], got " + modelBits);
    }
    return new ModelSpec(1 << modelBits, 1, Optimizer.SGD, 0.1f, 0f, 0f, 0f, false, 0f, true);
  }

  /** A {@code rows x cols} matrix (a factor model's embeddings), plain SGD at learning rate 0.1, from zeros. */
  public static ModelSpec matrix(int rows, int cols) {
    return new ModelSpec(rows, cols, Optimizer.SGD, 0.1f, 0f, 0f, 0f, false, 0f, true);
  }

  public ModelSpec optimizer(Optimizer optimizer) {
    return new ModelSpec(rows, cols, optimizer, learningRate, l2, momentum, initScale, l2AllRows, l1, snapshotted);
  }

  public ModelSpec learningRate(float learningRate) {
    return new ModelSpec(rows, cols, optimizer, learningRate, l2, momentum, initScale, l2AllRows, l1, snapshotted);
  }

  public ModelSpec l2(float l2) {
    return new ModelSpec(rows, cols, optimizer, learningRate, l2, momentum, initScale, l2AllRows, l1, snapshotted);
  }

  public ModelSpec momentum(float momentum) {
    return new ModelSpec(rows, cols, optimizer, learningRate, l2, momentum, initScale, l2AllRows, l1, snapshotted);
  }

  public ModelSpec initScale(float initScale) {
    return new ModelSpec(rows, cols, optimizer, learningRate, l2, momentum, initScale, l2AllRows, l1, snapshotted);
  }

  public ModelSpec l1(float l1) {
    return new ModelSpec(rows, cols, optimizer, learningRate, l2, momentum, initScale, l2AllRows, l1, snapshotted);
  }

  /**
   * Whether shards that snapshot take this model into their snapshots (the default); false for a scratch model of a
   * computation its owner redoes when a shard's restart loses it (an L-BFGS round's point and gradient), which
   * snapshots would only slow down.
   */
  public ModelSpec snapshotted(boolean kept) {
    return new ModelSpec(rows, cols, optimizer, learningRate, l2, momentum, initScale, l2AllRows, l1, kept);
  }

  public ModelSpec l2AllRows(boolean allRows) {
    return new ModelSpec(rows, cols, optimizer, learningRate, l2, momentum, initScale, allRows, l1, snapshotted);
  }

  /**
   * The value a new model holds at {@code position} ({@code row * cols + col}): 0 when {@link #initScale} is 0,
   * else uniform in {@code [-initScale, initScale]}, from the {@code position}-th long of {@code new
   * SplittableRandom(0)} (SplitMix64: its seed advanced by the golden gamma, then mixed). A function of the position
   * alone, so a model holds the same values however it is sliced over shards, and a shard made afresh makes them
   * again; a few multiplies and no state, so a shard fills tens of millions in a fraction of a second.
   */
  public float initialValue(long position) {
    if (initScale == 0) {
      return 0f;
    }
    long z = (position + 1) * GOLDEN_GAMMA;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    // The top 24 bits, centred: exactly representable in [-1, 1), so scaling keeps the value within the bounds.
    return initScale * (((int) (z >>> 40) - (1 << 23)) * 0x1p-23f);
  }

  /** Floats in the whole model. */
  public long size() {
    return (long) rows * cols;
  }
}
