package dev.stratus.runner.lambda.translate;

import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.PTransform;

/** Translates a composite transform whole, when it can; otherwise the runner walks into its expansion. */
interface CompositeTranslator<T extends PTransform<?, ?>> {
  /** Adds the composite to the graph and returns true, or returns false (adding nothing) to run its expansion. */
  boolean tryTranslate(AppliedPTransform<?, ?, T> transform, TranslationContext context);
}
