package dev.stratus.kernels.dataset;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviders;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.values.TypeDescriptor;

/** Beam coder for {@link Dataset}: the location and the manifest's JSON, so the encoding survives class changes. */
public final class DatasetCoder extends AtomicCoder<Dataset> {
  private static final DatasetCoder INSTANCE = new DatasetCoder();
  private static final StringUtf8Coder LOCATION = StringUtf8Coder.of();
  private static final ByteArrayCoder MANIFEST = ByteArrayCoder.of();

  public static DatasetCoder of() {
    return INSTANCE;
  }

  /** How {@code @DefaultCoder} finds this coder for {@link Dataset}. */
  public static CoderProvider getCoderProvider() {
    return CoderProviders.forCoder(TypeDescriptor.of(Dataset.class), INSTANCE);
  }

  private DatasetCoder() {}

  @Override
  public void encode(Dataset dataset, OutputStream out) throws IOException {
    LOCATION.encode(dataset.location(), out);
    MANIFEST.encode(dataset.manifest().toJson(), out);
  }

  @Override
  public Dataset decode(InputStream in) throws IOException {
    String location = LOCATION.decode(in);
    return new Dataset(location, DatasetManifest.fromJson(MANIFEST.decode(in), location));
  }

  @Override
  public void verifyDeterministic() {}
}
