package dev.stratus.runner.lambda.scheduler;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A stage's progress on the driver's console as its tasks end: a bar of the tasks done, the elements read per second
 * and the time left at that pace. On a terminal the bar is redrawn in place after each task; elsewhere a line is
 * printed at most every {@code plainIntervalNanos} while tasks remain, so a short stage prints nothing and a long one a
 * line now and then (the stage's end is the job's to report).
 */
final class StageProgress implements AutoCloseable {
  private static final int BAR_WIDTH = 30;

  private final PrintStream out;
  private final boolean terminal;
  private final LongSupplier clock;
  private final long plainIntervalNanos;
  private final String stage;
  private final int tasks;
  private final long start;
  private long lastLine;
  private int done;
  private long elements;
  private boolean drawn;

  StageProgress(PrintStream out, boolean terminal, LongSupplier clock, long plainIntervalNanos, String stage,
      int tasks) {
    this.out = out;
    this.terminal = terminal;
    this.clock = clock;
    this.plainIntervalNanos = plainIntervalNanos;
    this.stage = stage;
    this.tasks = tasks;
    this.start = clock.getAsLong();
    this.lastLine = start;
  }

  /** On {@code System.out}: a bar redrawn in place on a terminal, else a line every 10 s. */
  static StageProgress onStandardOutput(String stage, int tasks) {
    return new StageProgress(System.out, System.console() != null, System::nanoTime, 10_000_000_000L, stage, tasks);
  }

  /** A task ended, having read {@code elementsRead} elements. */
  void taskDone(long elementsRead) {
    done++;
    elements += elementsRead;
    long now = clock.getAsLong();
    if (terminal) {
      out.print("\r\u001b[2K" + line(now));
      drawn = true;
    } else if (done < tasks && now - lastLine >= plainIntervalNanos) {
      out.println(line(now));
      lastLine = now;
    }
    out.flush();
  }

  /** Ends a terminal's bar with a line break. */
  @Override
  public void close() {
    if (drawn) {
      out.println();
      out.flush();
    }
  }

  /** "load [###########-------------------] 12/32 tasks, 48,000 elements, 9,600 elements/s, 10 s left". */
  String line(long now) {
    double seconds = (now - start) / 1e9;
    int filled = tasks == 0 ? BAR_WIDTH : done * BAR_WIDTH / tasks;
    StringBuilder text = new StringBuilder(stage).append(" [")
        .append("#".repeat(filled)).append("-".repeat(BAR_WIDTH - filled)).append("] ")
        .append(done).append('/').append(tasks).append(" tasks, ")
        .append(String.format(Locale.ROOT, "%,d elements", elements));
    if (seconds > 0) {
      text.append(String.format(Locale.ROOT, ", %,.0f elements/s", elements / seconds));
    }
    if (done > 0 && done < tasks) {
      text.append(String.format(Locale.ROOT, ", %.0f s left", seconds * (tasks - done) / done));
    }
    return text.toString();
  }
}
