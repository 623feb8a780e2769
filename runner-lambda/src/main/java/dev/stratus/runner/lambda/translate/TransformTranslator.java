package dev.stratus.runner.lambda.translate;

import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.PTransform;

/** Turns one applied transform into stages and operations of the execution graph. */
interface TransformTranslator<T extends PTransform<?, ?>> {
  void translate(AppliedPTransform<?, ?, T> transform, TranslationContext context);
}
