package dev.stratus.runner.lambda.worker;

import java.lang.reflect.Field;
import org.apache.beam.sdk.values.WindowedValues.WindowedValueCoder;

/**
 * Whether Beam's coders in this JVM write element metadata (such as causedByDrain) with each windowed value. Beam
 * keeps that in one process-wide switch ({@link WindowedValueCoder#setMetadataSupported}), read at every encode and
 * decode by the windowed-value coders and by {@code ValueInSingleWindow}'s: a worker must encode as the driver that
 * planned its task, or the metadata it writes is lost and the elements the driver encoded are misread.
 */
public final class ElementMetadataEncoding {
  private ElementMetadataEncoding() {}

  public static synchronized void set(boolean enabled) {
    if (enabled == WindowedValueCoder.isMetadataSupported()) {
      return;
    }
    if (enabled) {
      WindowedValueCoder.setMetadataSupported();
      return;
    }
    // Beam has no way back, but a warm worker that served a driver with the switch on may next serve one without.
    try {
      Field supported = WindowedValueCoder.class.getDeclaredField("metadataSupported");
      supported.setAccessible(true);
      supported.setBoolean(null, false);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException(
          "this worker's Beam writes element metadata since an earlier task turned it on, and cannot be told to stop"
              + " for a driver that does not: " + e,
          e);
    }
  }
}
