package dev.stratus.ps.client;

import java.util.Arrays;

/**
 * The key sets of a connection's last few pulls, as the shard remembers them (its {@code RecentPulls}): every pull
 * written on the connection, in order. A push for the same keys of the same model names that pull instead of sending
 * them again; the keys are copied here, so a caller that reuses its array between pull and push is compared by what
 * it holds at the push. Used under the connection's write lock.
 */
final class PulledKeys {
  static final int REMEMBERED = 4; // as the shard's RecentPulls.REMEMBERED

  private final int[][] keys = new int[REMEMBERED][];
  private final int[] lengths = new int[REMEMBERED];
  private final int[] requestIds = new int[REMEMBERED];
  private final int[] modelIds = new int[REMEMBERED];
  private int next;
  private int held;

  void remember(int requestId, int modelId, int[] sortedKeys, int from, int to) {
    int n = to - from;
    if (keys[next] == null || keys[next].length < n) {
      keys[next] = new int[Math.max(n, 64)];
    }
    System.arraycopy(sortedKeys, from, keys[next], 0, n);
    lengths[next] = n;
    requestIds[next] = requestId;
    modelIds[next] = modelId;
    next = (next + 1) % REMEMBERED;
    held = Math.min(held + 1, REMEMBERED);
  }

  /** The slot of the latest remembered pull of exactly these keys of this model, or -1. */
  int find(int modelId, int[] sortedKeys, int from, int to) {
    int n = to - from;
    for (int back = 1; back <= held; back++) {
      int slot = (next - back + REMEMBERED) % REMEMBERED;
      if (modelIds[slot] == modelId && lengths[slot] == n
          && Arrays.equals(keys[slot], 0, n, sortedKeys, from, to)) {
        return slot;
      }
    }
    return -1;
  }

  int requestId(int slot) {
    return requestIds[slot];
  }
}
