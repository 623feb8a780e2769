package dev.stratus.benchmarks.paper;

/** A gradient as the keys it touches and their values, however it travelled. */
record SparseGradient(int[] keys, float[] values) {
  /** The non-zero entries of a dense gradient. */
  static SparseGradient ofDense(java.nio.FloatBuffer dense) {
    int n = 0;
    for (int k = 0; k < dense.limit(); k++) {
      if (dense.get(k) != 0f) {
        n++;
      }
    }
    int[] keys = new int[n];
    float[] values = new float[n];
    int at = 0;
    for (int k = 0; k < dense.limit(); k++) {
      float g = dense.get(k);
      if (g != 0f) {
        keys[at] = k;
        values[at++] = g;
      }
    }
    return new SparseGradient(keys, values);
  }
}
