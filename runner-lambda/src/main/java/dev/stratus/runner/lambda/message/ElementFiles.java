package dev.stratus.runner.lambda.message;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.values.WindowedValue;

/** The layout of element objects in the store: windowed values one after another, each in its coder's nested form. */
public final class ElementFiles {
  private ElementFiles() {}

  /** Collects encoded elements in memory until the task writes them. */
  public static final class Writer<T> {
    private final Coder<WindowedValue<T>> coder;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private long count;

    public Writer(Coder<WindowedValue<T>> coder) {
      this.coder = coder;
    }

    @SuppressWarnings("unchecked")
    public void add(WindowedValue<?> element) {
      try {
        coder.encode((WindowedValue<T>) element, bytes);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot encode an element with " + coder, e);
      }
      count++;
    }

    public long count() {
      return count;
    }

    /** Bytes buffered so far. */
    public int size() {
      return bytes.size();
    }

    public byte[] toByteArray() {
      return bytes.toByteArray();
    }

    /** The bytes buffered so far, which the writer then forgets. */
    public byte[] drain() {
      byte[] drained = bytes.toByteArray();
      bytes.reset();
      return drained;
    }
  }

  public interface ElementConsumer {
    void accept(WindowedValue<?> element) throws Exception;
  }

  public static long read(byte[] data, Coder<? extends WindowedValue<?>> coder, ElementConsumer consumer) throws Exception {
    ByteArrayInputStream in = new ByteArrayInputStream(data);
    long count = 0;
    while (in.available() > 0) {
      consumer.accept(coder.decode(in));
      count++;
    }
    return count;
  }
}
