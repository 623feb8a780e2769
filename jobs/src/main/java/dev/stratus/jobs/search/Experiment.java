package dev.stratus.jobs.search;

import dev.stratus.jobs.train.TrainingSpec;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.MathContext;
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

  /** "learningRate=0.1 minibatchSize=100", fractions to four significant digits. */
  public String describe() {
    return describe(parameters);
  }

  static String describe(Map<String, Number> parameters) {
    StringBuilder text = new StringBuilder();
    parameters.forEach(
        (name, value) -> text.append(text.isEmpty() ? "" : " ").append(name).append('=').append(shortly(value)));
    return text.toString();
  }

  private static String shortly(Number value) {
    if (value instanceof Double || value instanceof Float) {
      double d = value.doubleValue();
      return Double.isFinite(d)
          ? new BigDecimal(d).round(new MathContext(4)).stripTrailingZeros().toPlainString()
          : String.valueOf(d);
    }
    return String.valueOf(value);
  }
}
