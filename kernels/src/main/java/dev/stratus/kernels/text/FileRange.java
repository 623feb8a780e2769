package dev.stratus.kernels.text;

import java.io.Serializable;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.SerializableCoder;

/**
 * The lines of {@code file} that start at a byte offset in {@code [start, end)}: the unit of work of a loader, so that
 * one large file is parsed by several workers. Cutting at any byte is safe: a line belongs to the range it starts in.
 */
@DefaultCoder(SerializableCoder.class)
public record FileRange(String file, long start, long end) implements Serializable {
  public FileRange {
    if (start < 0 || end < start) {
      throw new IllegalArgumentException("bad range [" + start + ", " + end + ") of " + file);
    }
  }

  /** All of {@code file}. */
  public static FileRange whole(String file) {
    return new FileRange(file, 0, Long.MAX_VALUE);
  }

  @Override
  public String toString() {
    if (end == Long.MAX_VALUE) {
      return start == 0 ? file : file + "[" + start + "..]";
    }
    return file + "[" + start + ".." + end + ")";
  }
}
