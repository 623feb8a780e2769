package dev.stratus.kernels.text;

import java.io.Serializable;

/** A text input format and its settings: a serializable factory of per-file {@link RowParser}s. */
public interface TextFormat extends Serializable {
  RowParser newParser();
}
