package dev.stratus.dsl;

import dev.stratus.jobs.search.Experiment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A hyperparameter search over random points: {@link #samples} experiments, each drawing every hyperparameter from its
 * range, uniformly ({@link #range}) or uniformly in its logarithm ({@link #logRange}), from a generator seeded with
 * {@link #seed}, so the same search draws the same experiments. Whole-number options (minibatchSize, workers, ...)
 * are rounded.
 *
 * <pre>{@code
 * PCollection<SearchResult> result = split.train().apply(
 *     RandomSearch.of(LogisticRegression.withValidationSet(validation))
 *         .logRange("learningRate", 0.01, 1)
 *         .range("minibatchSize", 10, 1000)
 *         .samples(12)
 *         .seed(7)
 *         .parallelism(4));
 * }</pre>
 */
public final class RandomSearch extends HyperparameterSearch<RandomSearch> {
  private record Range(double min, double max, boolean log) implements java.io.Serializable {}

  private final Map<String, Range> ranges = new LinkedHashMap<>();
  private int samples = 10;
  private long seed = 1;

  private RandomSearch(SgdTraining<?> base) {
    super("RandomSearch", base);
  }

  /** A random search whose experiments start from {@code base}'s options. */
  public static RandomSearch of(SgdTraining<?> base) {
    return new RandomSearch(base);
  }

  /** Draws {@code name} uniformly from [min, max]. */
  public RandomSearch range(String name, double min, double max) {
    return add(name, min, max, false);
  }

  /** Draws {@code name} from [min, max] uniformly in its logarithm (for rates and penalties); min must be above 0. */
  public RandomSearch logRange(String name, double min, double max) {
    if (!(min > 0)) {
      throw new IllegalArgumentException("RandomSearch: logRange(\"" + name + "\") needs min above 0, got " + min);
    }
    return add(name, min, max, true);
  }

  /** How many experiments to draw (1 to 10,000, default 10). */
  public RandomSearch samples(int count) {
    samples = Checks.inRange("samples", count, 1, MAX_EXPERIMENTS);
    return this;
  }

  public RandomSearch seed(long value) {
    seed = value;
    return this;
  }

  private RandomSearch add(String name, double min, double max, boolean log) {
    if (!(min <= max)) {
      throw new IllegalArgumentException(
          "RandomSearch: the range of " + name + " must have min <= max, got [" + min + ", " + max + "]");
    }
    if (ranges.containsKey(name)) {
      throw new IllegalArgumentException("RandomSearch: " + name + " is given two ranges");
    }
    // The options' valid ranges are intervals: both ends accepted means every value drawn between them is.
    GridSearch.checked("RandomSearch", base, name, value(name, min));
    GridSearch.checked("RandomSearch", base, name, value(name, max));
    ranges.put(name, new Range(min, max, log));
    return this;
  }

  @Override
  public List<Experiment> experiments() {
    if (ranges.isEmpty()) {
      throw new IllegalArgumentException(
          "RandomSearch: no hyperparameter to draw; give ranges with range(...) or logRange(...), among "
              + String.join(", ", SgdTraining.hyperparameters()));
    }
    Random random = new Random(seed);
    List<Experiment> experiments = new ArrayList<>();
    for (int i = 0; i < samples; i++) {
      Map<String, Number> parameters = new LinkedHashMap<>();
      ranges.forEach((name, range) -> {
        double u = random.nextDouble();
        double drawn =
            range.log()
                ? Math.exp(Math.log(range.min()) + u * (Math.log(range.max()) - Math.log(range.min())))
                : range.min() + u * (range.max() - range.min());
        parameters.put(name, value(name, Math.min(range.max(), Math.max(range.min(), drawn))));
      });
      experiments.add(GridSearch.experiment(base, i, parameters));
    }
    return experiments;
  }

  /** {@code x} as the option takes it: rounded for a whole-number option. */
  private static Number value(String name, double x) {
    return SgdTraining.isWhole(name) ? (Number) (int) Math.round(x) : (Number) x;
  }
}
