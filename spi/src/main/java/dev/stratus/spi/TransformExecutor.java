package dev.stratus.spi;

import java.util.List;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.PTransform;

/**
 * Runs a composite transform whole, in a runner's driver, instead of its expansion: the way a transform whose work is
 * a long-lived coordination of many workers (training, tuning) runs on a serverless runner. A runner finds executors
 * through {@link java.util.ServiceLoader} and matches them to transforms by URN (the URN a transform gets from its
 * {@code TransformPayloadTranslatorRegistrar}); a runner that knows none of them runs the default expansion.
 *
 * <pre>{@code
 * public final class TrainOnWorkers implements TransformExecutor {
 *   public String urn() { return MyTraining.URN; }
 *   public List<?> execute(PTransform<?, ?> transform, ExecutionContext context) { ... context.workers() ... }
 * }
 * // META-INF/services/dev.stratus.spi.TransformExecutor lists the class
 * }</pre>
 */
public interface TransformExecutor {
  /** The URN of the composite transform this executes. */
  String urn();

  /**
   * Runs {@code transform} (the object the pipeline applied, with its configuration) over the elements of its inputs,
   * which {@code context} gives, and returns the elements of its single output, all in the global window.
   */
  List<?> execute(PTransform<?, ?> transform, ExecutionContext context) throws Exception;

  /**
   * Refuses, naming the way out, a configuration in which {@code transform} cannot run: the runner calls it for every
   * transform it will execute before it runs any step of the pipeline, so that nothing is spent on a job bound to
   * fail. It must not invoke {@code workers}. By default nothing is refused.
   */
  default void checkBeforeRun(PTransform<?, ?> transform, PipelineOptions options, Workers workers) {}
}
