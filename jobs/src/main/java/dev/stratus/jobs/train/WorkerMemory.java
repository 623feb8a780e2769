package dev.stratus.jobs.train;

import java.util.List;
import java.util.Locale;
import java.util.function.IntPredicate;

/**
 * The memory a training's worker generations are launched with: one of the sizes its launcher offers (on LambdaRunner
 * the worker function's and its variants'), the spec's where it sets one, else the smallest that holds what the
 * training needs, seen in its data set's partitions:
 *
 * <ul>
 *   <li>L-BFGS: every worker holds its partitions ({@link Solver#choose});
 *   <li>SGD: a worker's prefetch budget, a quarter of its memory, holds two of its partitions decoded, the one it
 *       trains on and the next; and where an environment's CPU grows with its memory (AWS Lambda), at least one
 *       vCPU's memory, {@value #ONE_VCPU_MB} MB: an SGD worker keeps one core busy, so below it, it takes longer for
 *       the same GB-seconds, and above it, it is no faster.
 * </ul>
 *
 * <p>A generation that runs out of memory all the same has its successor, and every generation after, launched at the
 * next size up.
 */
final class WorkerMemory {
  /** The memory at which AWS Lambda gives an environment one vCPU, and a share of one in proportion below it. */
  static final int ONE_VCPU_MB = 1769;

  private final List<Integer> sizes;
  private final boolean cpuGrowsWithMemory;
  private final boolean fixed;
  private int current;

  /**
   * @param sizes the sizes offered, in MB, smallest first
   * @param cpuGrowsWithMemory whether an environment's CPU grows with its memory
   * @param fixedMb the spec's size, or {@link TrainingSpec#AUTO_MEMORY} to choose one
   */
  WorkerMemory(List<Integer> sizes, boolean cpuGrowsWithMemory, int fixedMb) {
    if (sizes.isEmpty()) {
      throw new IllegalArgumentException("a launcher offers no memory size");
    }
    if (fixedMb != TrainingSpec.AUTO_MEMORY && !sizes.contains(fixedMb)) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "workerMemoryMb=%d is not a size the workers are"
          + " offered at: %s MB (on LambdaRunner, --workerMemoryMb and --workerMemorySizesMb)", fixedMb, sizes));
    }
    this.sizes = List.copyOf(sizes);
    this.cpuGrowsWithMemory = cpuGrowsWithMemory;
    this.fixed = fixedMb != TrainingSpec.AUTO_MEMORY || sizes.size() == 1;
    this.current = fixedMb != TrainingSpec.AUTO_MEMORY ? fixedMb : sizes.get(0);
  }

  static WorkerMemory of(WorkerLauncher launcher, int fixedMb) {
    return new WorkerMemory(launcher.memorySizesMb(), launcher.cpuGrowsWithMemory(), fixedMb);
  }

  /** The size generations launch with. */
  int current() {
    return current;
  }

  /** The largest size offered, or the fixed one. */
  int largest() {
    return fixed ? current : sizes.get(sizes.size() - 1);
  }

  /**
   * Chooses the size of an L-BFGS training's workers: the smallest at which {@code holds} {@code what}, their
   * partitions. Returns the reason, or null where the size is not the driver's to choose.
   */
  String forLbfgs(IntPredicate holds, String what) {
    return smallestHolding(holds, 0, "each worker holds " + what + " (L-BFGS keeps its rows in memory)");
  }

  /**
   * Chooses the size of an SGD training's workers: the smallest at which {@code prefetchHolds} {@code what}, two of
   * their partitions decoded, from one vCPU's up where CPU grows with memory. Returns the reason, or null where the
   * size is not the driver's to choose.
   */
  String forSgd(IntPredicate prefetchHolds, String what) {
    String needs = "a worker's prefetch budget (a quarter of its memory) holds " + what;
    return cpuGrowsWithMemory
        ? smallestHolding(prefetchHolds, ONE_VCPU_MB, needs + ", from " + ONE_VCPU_MB + " MB up: an SGD worker keeps"
            + " one core busy, and Lambda gives one vCPU there (less memory computes slower for the same GB-seconds,"
            + " more no faster)")
        : smallestHolding(prefetchHolds, 0, needs + "; the workers share this machine's cores whatever their memory");
  }

  /**
   * Whether {@code error}, a dead generation's, says it ran out of memory: the JVM's {@code OutOfMemoryError}, which
   * the Lambda runtime reports before it exits, or Lambda's {@code Runtime.OutOfMemory}.
   */
  static boolean outOfMemory(String error) {
    return error != null && (error.contains("OutOfMemoryError") || error.contains("Runtime.OutOfMemory"));
  }

  /**
   * After a generation launched at {@code memoryMb} ran out of memory: the next size up for the generations launched
   * from now on. Returns the reason, or null where the size stays (set by the spec, the largest, or raised already
   * past {@code memoryMb} by another generation's death).
   */
  String afterOutOfMemory(int memoryMb) {
    int next = sizes.indexOf(memoryMb) + 1;
    if (fixed || memoryMb != current || next == 0 || next >= sizes.size()) {
      return null;
    }
    current = sizes.get(next);
    return String.format(Locale.ROOT, "a generation ran out of memory at %d MB: the generations from now on start at"
        + " %d MB, the next size of %s", memoryMb, current, sizes);
  }

  private String smallestHolding(IntPredicate holds, int atLeast, String what) {
    if (fixed) {
      return null;
    }
    int floor = Math.min(atLeast, largest());
    for (int size : sizes) {
      if (size >= floor && holds.test(size)) {
        current = size;
        return String.format(Locale.ROOT, "the smallest of %s MB at which %s", sizes, what);
      }
    }
    current = largest();
    return String.format(Locale.ROOT, "the largest of %s MB, though short of what it takes: %s", sizes, what);
  }
}
