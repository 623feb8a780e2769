package dev.stratus.ps;

/**
 * How a client sends gradients and receives weights in pulls and pushes: as they are, or as IEEE half-precision
 * floats, half the bytes, rounded to about three significant digits (the shard keeps and updates float32 weights
 * either way; a whole-model pull, the one a driver evaluates and keeps, is always float32).
 */
public enum WireValues {
  FLOAT32,
  FLOAT16
}
