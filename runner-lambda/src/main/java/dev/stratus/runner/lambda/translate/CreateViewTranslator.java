package dev.stratus.runner.lambda.translate;

import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.View;

/**
 * CreatePCollectionView needs no work of its own: a view's contents are the PCollection behind it, which the
 * ParDo translator has written to the store and handed to the tasks that read the view.
 */
final class CreateViewTranslator implements TransformTranslator<View.CreatePCollectionView<?, ?>> {
  @Override
  public void translate(
      AppliedPTransform<?, ?, View.CreatePCollectionView<?, ?>> transform, TranslationContext context) {}
}
