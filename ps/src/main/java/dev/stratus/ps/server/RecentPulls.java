package dev.stratus.ps.server;

/**
 * The key sets of a connection's last few pulls, by request id, so that a push of a gradient for the keys just pulled
 * can name that pull instead of sending them again ({@link dev.stratus.ps.wire.Wire#PUSH_PULLED_KEYS}). The client
 * keeps the same ring: both record every pull sent on the connection, in the order sent, whatever its answer.
 */
final class RecentPulls {
  static final int REMEMBERED = 4;

  private final int[][] keys = new int[REMEMBERED][];
  private final int[] requestIds = new int[REMEMBERED];
  private final int[] modelIds = new int[REMEMBERED];
  private int next;
  private int held;

  /** Records pull {@code requestId}'s keys ({@code sortedKeys[0]} of them at 1..n), evicting the oldest. */
  void remember(int requestId, int modelId, int[] sortedKeys) {
    int n = sortedKeys[0];
    int[] slot = keys[next];
    if (slot == null || slot.length < n + 1) {
      slot = keys[next] = new int[Math.max(n + 1, 64)];
    }
    System.arraycopy(sortedKeys, 0, slot, 0, n + 1);
    requestIds[next] = requestId;
    modelIds[next] = modelId;
    next = (next + 1) % REMEMBERED;
    held = Math.min(held + 1, REMEMBERED);
  }

  /** Pull {@code requestId}'s keys (count at 0), if it is among the last pulls and was of model {@code modelId}. */
  int[] keysOf(int requestId, int modelId) {
    for (int i = 0; i < held; i++) {
      if (requestIds[i] == requestId && modelIds[i] == modelId) {
        return keys[i];
      }
    }
    return null;
  }
}
