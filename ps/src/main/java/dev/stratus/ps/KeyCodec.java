package dev.stratus.ps;

/**
 * Sorted, distinct key sets on the wire: a varint count, the first key, then each gap minus one as a varint. A
 * Criteo minibatch (about 780 keys of a 2^19 model, gaps of a few hundred) costs about 2 bytes a key instead of 4.
 */
final class KeyCodec {
  private KeyCodec() {}

  /** Writes {@code keys[from, to)}, which the caller has checked are strictly ascending. */
  static void encode(FrameOut out, int[] keys, int from, int to) {
    out.deltaVarints(keys, from, to);
  }

  /**
   * Reads a key set into {@code scratch}, or into a bigger array when it is too small: the array returned holds the
   * count n at index 0 and the keys at 1..n, so a connection decodes every frame without allocating. Keys come out
   * strictly ascending and non-negative by construction; a set running past {@code Integer.MAX_VALUE} is malformed.
   */
  static int[] decode(FrameIn in, int[] scratch) throws MalformedFrameException {
    int n = in.varint();
    if (n < 0 || n > in.remaining()) { // every key takes at least one byte
      throw new MalformedFrameException("key count " + n + " exceeds the " + in.remaining() + " bytes left");
    }
    int[] keys = scratch.length >= n + 1 ? scratch : new int[Math.max(n + 1, scratch.length * 2)];
    keys[0] = n;
    in.deltaVarints(keys, n);
    return keys;
  }

  /** Checks that {@code keys} are strictly ascending and non-negative, as every pull and push requires. */
  static void checkSorted(int[] keys) {
    int previous = -1;
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] <= previous) {
        throw new IllegalArgumentException(
            keys[i] < 0
                ? "key " + keys[i] + " at index " + i + " is negative"
                : "keys must be strictly ascending: keys[" + (i - 1) + "]=" + previous + ", keys[" + i + "]="
                    + keys[i]);
      }
      previous = keys[i];
    }
  }
}
