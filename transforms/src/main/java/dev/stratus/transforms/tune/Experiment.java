package dev.stratus.transforms.tune;

import dev.stratus.transforms.train.TrainingSpec;
import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One training of a search: the hyperparameters it varies (in the order the search names them) and the whole spec
 * they make.
 *
 * @param id its number in the search, from 0, in the order the search generated it
 */
public record Experiment(int id, Map<String, Number> parameters, TrainingSpec spec) implements Serializable {
  public Experiment {
    parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
  }

  /** "learningRate=0.1 minibatchSize=100" */
  public String describe() {
    StringBuilder text = new StringBuilder();
    parameters.forEach((name, value) -> text.append(text.isEmpty() ? "" : " ").append(name).append('=').append(value));
    return text.toString();
  }
}
