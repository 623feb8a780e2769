package dev.stratus.jobs.train;

import dev.stratus.kernels.iterate.MinibatchIterator.Position;
import dev.stratus.store.S3Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What a driver that died leaves for the next one, besides the shards' model snapshots: the name of the model on the
 * shards (they restore it under that name) and where each worker was. The driver writes it beside the snapshots,
 * {@code CHECKPOINT/resume-point}, at every evaluation, from the positions the workers recorded in the shards'
 * key-value store (which no snapshot holds).
 *
 * <p>It is not written atomically with the snapshots, which every shard takes on its own: a resumed worker starts at
 * most an evaluation interval (plus a worker's 200 ms between records) behind the data the restored model saw, or at
 * most a snapshot interval ahead of it (data skipped).
 *
 * @param positions worker {@code w}'s position at index {@code w}
 * @param l2 the L2 penalty the training had reached on its {@link PenaltyPath}; NaN for a training without one
 *     (shards that restart go back to their model's first penalty, so the next driver sets it again)
 * @param addedShards the sets of shards the driver added to the job's and moved the model onto, each set's count in
 *     the order they were added ({@link Shards#startMore}): the next driver starts them again, restoring, and finds
 *     the model sliced over all of them
 */
public record ResumePoint(String modelName, List<Position> positions, float l2, List<Integer> addedShards) {
  private static final String OBJECT = "resume-point";
  private static final String ADDED_SHARDS = "added-shards=";

  public ResumePoint {
    positions = List.copyOf(positions);
    addedShards = List.copyOf(addedShards);
  }

  /** Where the driver of a job whose shards snapshot to {@code checkpoint} keeps its resume point. */
  public static S3Path at(S3Path checkpoint) {
    return checkpoint.resolve(OBJECT);
  }

  /**
   * One line naming the model (and {@code l2=} its penalty, {@code added-shards=} the sets added, comma-separated),
   * then one line {@code epoch step row} per worker.
   */
  byte[] encode() {
    StringBuilder text = new StringBuilder(modelName);
    if (!Float.isNaN(l2)) {
      text.append(" l2=").append(l2);
    }
    if (!addedShards.isEmpty()) {
      text.append(' ').append(ADDED_SHARDS).append(
          addedShards.stream().map(String::valueOf).collect(Collectors.joining(",")));
    }
    text.append('\n');
    for (Position p : positions) {
      text.append(p.epoch()).append(' ').append(p.step()).append(' ').append(p.row()).append('\n');
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  static ResumePoint decode(byte[] bytes, S3Path where) {
    String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n");
    List<Position> positions = new ArrayList<>();
    String[] first = lines[0].split(" ");
    float l2 = Float.NaN;
    List<Integer> addedShards = new ArrayList<>();
    try {
      for (int f = 1; f < first.length; f++) {
        if (first[f].startsWith("l2=")) {
          l2 = Float.parseFloat(first[f].substring(3));
        } else if (first[f].startsWith(ADDED_SHARDS)) {
          for (String count : first[f].substring(ADDED_SHARDS.length()).split(",")) {
            addedShards.add(Integer.parseInt(count));
          }
        } else {
          throw new IllegalArgumentException("unknown field '" + first[f] + "'");
        }
      }
      for (int i = 1; i < lines.length; i++) {
        String[] fields = lines[i].split(" ");
        positions.add(
            new Position(Integer.parseInt(fields[0]), Integer.parseInt(fields[1]), Integer.parseInt(fields[2])));
      }
    } catch (RuntimeException e) {
      throw new IllegalStateException("the resume point " + where + " is not one a driver wrote: " + e, e);
    }
    return new ResumePoint(first[0], positions, l2, addedShards);
  }
}
