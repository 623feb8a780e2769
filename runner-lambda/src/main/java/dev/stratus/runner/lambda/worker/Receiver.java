package dev.stratus.runner.lambda.worker;

import java.util.List;
import org.apache.beam.sdk.values.WindowedValue;

/** Takes the elements of one PCollection inside a task. */
@FunctionalInterface
interface Receiver {
  void accept(WindowedValue<?> element) throws Exception;

  /** All of {@code receivers}, in order; a PCollection nobody in this stage consumes drops its elements. */
  static Receiver fanOut(List<Receiver> receivers) {
    if (receivers.isEmpty()) {
      return element -> {};
    }
    if (receivers.size() == 1) {
      return receivers.get(0);
    }
    List<Receiver> all = List.copyOf(receivers);
    return element -> {
      for (Receiver r : all) {
        r.accept(element);
      }
    };
  }
}
