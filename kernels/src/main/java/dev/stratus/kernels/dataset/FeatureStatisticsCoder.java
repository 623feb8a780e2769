package dev.stratus.kernels.dataset;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviders;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * Beam coder for {@link FeatureStatistics}: the compact layout of its stored objects, uncompressed. Statistics of a
 * hashed feature space pass through a {@code Combine}; Java serialization was a visible share of Normalize's time.
 */
public final class FeatureStatisticsCoder extends AtomicCoder<FeatureStatistics> {
  private static final FeatureStatisticsCoder INSTANCE = new FeatureStatisticsCoder();

  public static FeatureStatisticsCoder of() {
    return INSTANCE;
  }

  /** How {@code @DefaultCoder} finds this coder for {@link FeatureStatistics}. */
  public static CoderProvider getCoderProvider() {
    return CoderProviders.forCoder(TypeDescriptor.of(FeatureStatistics.class), INSTANCE);
  }

  private FeatureStatisticsCoder() {}

  @Override
  public void encode(FeatureStatistics statistics, OutputStream out) throws IOException {
    statistics.writeTo(out);
  }

  @Override
  public FeatureStatistics decode(InputStream in) throws IOException {
    return FeatureStatistics.readFrom(in, "in a Beam element");
  }

  @Override
  public void verifyDeterministic() {}
}
