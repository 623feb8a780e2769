package dev.stratus.dsl;

import dev.stratus.jobs.search.Experiment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A hyperparameter search over a grid: one experiment per combination of the values given to {@link #vary} (the
 * cartesian product; the first hyperparameter named changes slowest), each a training like the base
 * with those values set. The experiments share the parameter-server shards, each with a model of its own.
 *
 * <pre>{@code
 * PCollection<SearchResult> result = split.train().apply(
 *     GridSearch.of(LogisticRegression.withValidationSet(validation).workers(2))
 *         .vary("learningRate", 0.1, 0.2, 0.4)
 *         .vary("minibatchSize", 100, 1000)
 *         .parallelism(2)
 *         .scheduler(Scheduler.stopDiverged(3)));
 * }</pre>
 *
 * <p>Every value is checked when given, by the base training's own setter, so an out-of-range value fails while the
 * pipeline is built, before any work.
 */
public final class GridSearch extends HyperparameterSearch<GridSearch> {
  private final Map<String, List<Number>> grid = new LinkedHashMap<>();

  private GridSearch(SgdTraining<?> base) {
    super("GridSearch", base);
  }

  /** A grid search whose experiments start from {@code base}'s options. */
  public static GridSearch of(SgdTraining<?> base) {
    return new GridSearch(base);
  }

  /** Tries each of {@code values} for hyperparameter {@code name} (see {@link SgdTraining} for the names). */
  public GridSearch vary(String name, Number... values) {
    if (values == null || values.length == 0) {
      throw new IllegalArgumentException("GridSearch: vary(\"" + name + "\") needs at least one value");
    }
    if (grid.containsKey(name)) {
      throw new IllegalArgumentException("GridSearch: " + name + " is varied twice; give all its values at once");
    }
    for (Number value : values) {
      checked("GridSearch", base, name, value);
    }
    long combinations = (long) values.length * grid.values().stream().mapToLong(List::size).reduce(1, (a, b) -> a * b);
    if (combinations > MAX_EXPERIMENTS) {
      throw new IllegalArgumentException("GridSearch: the grid would have " + combinations + " experiments, more than "
          + MAX_EXPERIMENTS);
    }
    grid.put(name, List.of(values));
    return this;
  }

  @Override
  public List<Experiment> experiments() {
    if (grid.isEmpty()) {
      throw new IllegalArgumentException(
          "GridSearch: the grid is empty; name the hyperparameters to vary with vary(name, values...), among "
              + String.join(", ", SgdTraining.hyperparameters()));
    }
    List<Map<String, Number>> combinations = List.of(new LinkedHashMap<>());
    for (Map.Entry<String, List<Number>> axis : grid.entrySet()) {
      List<Map<String, Number>> extended = new ArrayList<>();
      for (Map<String, Number> combination : combinations) {
        for (Number value : axis.getValue()) {
          Map<String, Number> next = new LinkedHashMap<>(combination);
          next.put(axis.getKey(), value);
          extended.add(next);
        }
      }
      combinations = extended;
    }
    List<Experiment> experiments = new ArrayList<>();
    for (Map<String, Number> parameters : combinations) {
      experiments.add(experiment(base, experiments.size(), parameters));
    }
    return experiments;
  }

  /** {@code base} with {@code name} set to {@code value}, or an error that names the search, the option and value. */
  static SgdTraining<?> checked(String transform, SgdTraining<?> base, String name, Number value) {
    if (value == null) {
      throw new IllegalArgumentException(transform + ": " + name + " given a null value");
    }
    try {
      return base.with(name, value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(transform + ": " + name + "=" + value + " is refused: " + e.getMessage(), e);
    }
  }

  /** Experiment {@code id}: {@code base} with every one of {@code parameters} set. */
  static Experiment experiment(SgdTraining<?> base, int id, Map<String, Number> parameters) {
    SgdTraining<?> training = base;
    for (Map.Entry<String, Number> parameter : parameters.entrySet()) {
      training = training.with(parameter.getKey(), parameter.getValue());
    }
    return new Experiment(id, parameters, training.spec());
  }
}
