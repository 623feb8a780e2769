package dev.stratus.jobs.train;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * The driver's console while trainings run: one line per training (a search's experiment, or a single training) with
 * its label, state, current validation loss, updates per second (once it ended: the kept model's loss, and its
 * updates), workers and elapsed time.
 *
 * <p>On a terminal the lines are redrawn in place (the cursor moves up over them, each is cleared and written again),
 * at most every {@link #REDRAW_NANOS} unless a state changes. Elsewhere (a log file, a pipe, a CI console) a line is
 * printed when its training starts or ends, and otherwise at most every {@code plainIntervalNanos} for the trainings
 * whose numbers changed since their last line. Called from the threads of every running training.
 */
public final class ConsoleView implements AutoCloseable {
  /** A terminal is redrawn at most this often: smooth enough to watch, cheap enough not to matter. */
  static final long REDRAW_NANOS = 200_000_000L;
  static final String CURSOR_UP = "\u001b[%dA";
  static final String CLEAR_LINE = "\r\u001b[2K";

  /**
   * The updates a second are taken over the evaluations of at least the last 2 s: between two evaluations a moment
   * apart the count may not have moved (the workers report their pushes in batches), and "0 updates/s" is not news.
   */
  private static final double RATE_WINDOW_SECONDS = 2;

  private final PrintStream out;
  private final boolean terminal;
  private final LongSupplier clock;
  private final long plainIntervalNanos;
  private final Map<Integer, Row> rows = new TreeMap<>();
  /** The lines a terminal shows now: the ones the next redraw moves up over. */
  private int drawn;
  private long lastOutput = Long.MIN_VALUE;

  private static final class Row {
    final String label;
    String state = "waiting";
    double loss = Double.NaN;
    double updatesPerSecond = Double.NaN;
    long updates = -1; // once it ended
    String unit = "updates";
    int workers;
    double seconds;
    /** The evaluations the rate is taken over, the oldest at least {@link #RATE_WINDOW_SECONDS} before the latest. */
    final ArrayDeque<CurvePoint> recent = new ArrayDeque<>();
    boolean changed = true;

    Row(String label) {
      this.label = label;
    }
  }

  /**
   * @param terminal redraw in place with ANSI sequences, or print plain lines
   * @param clock nanoseconds, for how often to print
   * @param plainIntervalNanos how often plain lines are printed for trainings that go on
   */
  public ConsoleView(PrintStream out, boolean terminal, LongSupplier clock, long plainIntervalNanos) {
    this.out = out;
    this.terminal = terminal;
    this.clock = clock;
    this.plainIntervalNanos = plainIntervalNanos;
  }

  /** On {@code System.out}: in place when it is a terminal, else a plain line per training every 5 s. */
  public static ConsoleView onStandardOutput() {
    return new ConsoleView(System.out, System.console() != null, System::nanoTime, 5_000_000_000L);
  }

  /** Training {@code id} will run, shown as {@code label}: it waits until {@link #running}. */
  public synchronized void waiting(int id, String label) {
    rows.put(id, new Row(label));
    draw(true);
  }

  /** Training {@code id} started with {@code workers} workers; {@code state} says how ("running", "restarted..."). */
  public synchronized void running(int id, int workers, String state) {
    Row row = row(id);
    row.workers = workers;
    row.state = state;
    row.changed = true;
    draw(true);
  }

  /** Training {@code id} runs {@code workers} workers now (its driver chose another count). */
  public synchronized void workers(int id, int workers) {
    Row row = row(id);
    row.workers = workers;
    row.changed = true;
    draw(false);
  }

  /** Training {@code id} counts its progress in {@code unit}: "updates" (the default), "passes". */
  public synchronized void counts(int id, String unit) {
    row(id).unit = unit;
  }

  /** Training {@code id} was evaluated at {@code point}. */
  public synchronized void evaluated(int id, CurvePoint point) {
    Row row = row(id);
    row.recent.addLast(point);
    while (row.recent.size() > 1 && secondOldestSeconds(row.recent) <= point.seconds() - RATE_WINDOW_SECONDS) {
      row.recent.removeFirst();
    }
    CurvePoint first = row.recent.getFirst();
    if (point.seconds() > first.seconds()) {
      row.updatesPerSecond = (point.updates() - first.updates()) / (point.seconds() - first.seconds());
    }
    row.loss = point.validationLoss();
    row.seconds = point.seconds();
    row.changed = true;
    draw(false);
  }

  private static double secondOldestSeconds(ArrayDeque<CurvePoint> points) {
    Iterator<CurvePoint> oldestFirst = points.iterator();
    oldestFirst.next();
    return oldestFirst.next().seconds();
  }

  /**
   * Training {@code id} ended in {@code state} (its stop reason, "failed", ...) after {@code seconds} and {@code
   * updates} updates; {@code keptLoss} is the validation loss of the model it kept (NaN without one).
   */
  public synchronized void ended(int id, String state, double keptLoss, long updates, double seconds) {
    Row row = row(id);
    row.state = state;
    row.loss = keptLoss;
    row.seconds = seconds;
    row.updatesPerSecond = Double.NaN;
    row.updates = updates;
    row.changed = true;
    draw(true);
  }

  /** A line of its own above the trainings' (a failure, a warning). */
  public synchronized void message(String line) {
    if (terminal) {
      erase();
      out.print(CLEAR_LINE + line + "\n");
      redraw();
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** Shows the last state of every training. */
  @Override
  public synchronized void close() {
    show();
  }

  private Row row(int id) {
    Row row = rows.get(id);
    if (row == null) {
      throw new IllegalStateException("training " + id + " was not announced to the console view with waiting(...)");
    }
    return row;
  }

  /** Draws now if {@code stateChanged}, else if the last output is old enough. */
  private void draw(boolean stateChanged) {
    long now = clock.getAsLong();
    long interval = terminal ? REDRAW_NANOS : plainIntervalNanos;
    if (!stateChanged && lastOutput != Long.MIN_VALUE && now - lastOutput < interval) {
      return;
    }
    lastOutput = now;
    show();
  }

  /** A terminal's lines drawn again in place; elsewhere the lines of the trainings that changed. */
  private void show() {
    if (terminal) {
      erase();
      redraw();
    } else {
      printChanged();
    }
    out.flush();
  }

  /** Moves a terminal's cursor up to the first of the lines shown. */
  private void erase() {
    if (drawn > 0) {
      out.print(String.format(CURSOR_UP, drawn));
    }
    drawn = 0;
  }

  private void redraw() {
    for (Row row : rows.values()) {
      out.print(CLEAR_LINE + line(row) + "\n");
      row.changed = false;
    }
    drawn = rows.size();
  }

  private void printChanged() {
    for (Row row : rows.values()) {
      if (row.changed) {
        out.println(line(row));
        row.changed = false;
      }
    }
  }

  /**
   * "experiment 2 (learningRate=0.1): running  loss 0.33100  4,210 updates/s  2 workers  12.3 s", or once it ended
   * "experiment 2 (learningRate=0.1): converged  kept loss 0.33050  51,840 updates  2 workers  14.0 s".
   */
  private static String line(Row row) {
    StringBuilder text = new StringBuilder(row.label).append(": ").append(row.state);
    if (!Double.isNaN(row.loss)) {
      text.append(String.format(Locale.ROOT, row.updates >= 0 ? "  kept loss %.5f" : "  loss %.5f", row.loss));
    }
    if (Double.isFinite(row.updatesPerSecond)) {
      text.append(String.format(Locale.ROOT, "  %,.0f %s/s", row.updatesPerSecond, row.unit));
    }
    if (row.updates >= 0) {
      text.append(String.format(Locale.ROOT, "  %,d %s", row.updates, row.unit));
    }
    if (row.workers > 0) {
      text.append("  ").append(row.workers).append(row.workers == 1 ? " worker" : " workers");
    }
    if (row.seconds > 0) {
      text.append(String.format(Locale.ROOT, "  %.1f s", row.seconds));
    }
    return text.toString();
  }
}
