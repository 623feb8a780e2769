package dev.stratus.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The console view fed a search's events at set times: what a log file gets, and what a terminal gets. */
class ConsoleViewTest {
  private static final long SECOND = 1_000_000_000L;
  private static final String EXPERIMENT_0 = "experiment 0 (learningRate=0.1)";
  private static final String EXPERIMENT_1 = "experiment 1 (learningRate=0.2)";

  private final AtomicLong now = new AtomicLong();
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

  private ConsoleView view(boolean terminal) {
    return new ConsoleView(new PrintStream(bytes, true, StandardCharsets.UTF_8), terminal, now::get, 5 * SECOND);
  }

  private String printed() {
    String text = bytes.toString(StandardCharsets.UTF_8);
    bytes.reset();
    return text;
  }

  private void at(double seconds) {
    now.set((long) (seconds * SECOND));
  }

  @Test
  void plainOutputPrintsStateChangesAtOnceAndChangedNumbersAtMostEveryInterval() {
    ConsoleView view = view(false);
    view.waiting(0, EXPERIMENT_0);
    view.waiting(1, EXPERIMENT_1);
    assertEquals(EXPERIMENT_0 + ": waiting\n" + EXPERIMENT_1 + ": waiting\n", printed());
    view.running(0, 2, "running");
    assertEquals(EXPERIMENT_0 + ": running  2 workers\n", printed(), "only the row that changed");
    at(1);
    view.evaluated(0, new CurvePoint(1.0, 0, 0.69315, 0.5, Double.NaN));
    at(3);
    view.evaluated(0, new CurvePoint(3.0, 4_000, 0.4, 0.8, Double.NaN));
    assertEquals("", printed(), "evaluations within 5 s of the last line print nothing");
    at(6);
    view.evaluated(0, new CurvePoint(6.0, 10_000, 0.35, 0.9, Double.NaN));
    assertEquals(EXPERIMENT_0 + ": running  loss 0.35000  2,000 updates/s  2 workers  6.0 s\n", printed(),
        "5 s on: the latest loss, and the updates per second over the last evaluations 2 s or more apart");
    at(7);
    view.evaluated(0, new CurvePoint(7.0, 12_000, 0.34, 0.9, Double.NaN));
    assertEquals("", printed());
    at(10.9);
    view.evaluated(0, new CurvePoint(10.9, 20_000, 0.33, 0.9, Double.NaN));
    at(11);
    view.evaluated(0, new CurvePoint(11.0, 20_000, 0.33, 0.9, Double.NaN));
    assertEquals(EXPERIMENT_0 + ": running  loss 0.33000  2,000 updates/s  2 workers  11.0 s\n", printed(),
        "two evaluations a moment apart with no report of pushes between them: the rate since 7.0 s, not 0");
    view.workers(0, 4); // its driver changed the count: shown with the next line
    view.ended(0, "converged", 0.34, 12_500, 7.2);
    assertEquals(EXPERIMENT_0 + ": converged  kept loss 0.34000  12,500 updates  4 workers  7.2 s\n", printed(),
        "an end at once, with the kept model's loss, the updates and the workers now");
    view.message("experiment 1 (learningRate=0.2): failed: out of memory");
    assertEquals("experiment 1 (learningRate=0.2): failed: out of memory\n", printed());
    view.close();
    assertEquals("", printed(), "nothing changed since the last lines");
  }

  @Test
  void aTerminalIsRedrawnInPlace() {
    String up2 = "\u001b[2A";
    String clear = "\r\u001b[2K";
    ConsoleView view = view(true);
    view.waiting(0, EXPERIMENT_0);
    assertEquals(clear + EXPERIMENT_0 + ": waiting\n", printed());
    view.waiting(1, EXPERIMENT_1);
    assertEquals("\u001b[1A" + clear + EXPERIMENT_0 + ": waiting\n" + clear + EXPERIMENT_1 + ": waiting\n",
        printed(), "up over the one line shown, then both lines, each cleared first");
    view.running(0, 2, "running");
    view.running(1, 2, "running");
    printed();
    at(0.1);
    view.evaluated(0, new CurvePoint(0.1, 0, 0.69315, 0.5, Double.NaN));
    assertEquals("", printed(), "redrawn at most every 200 ms");
    at(0.5);
    view.evaluated(1, new CurvePoint(0.5, 1_000, 0.5, 0.7, Double.NaN));
    assertEquals(up2 + clear + EXPERIMENT_0 + ": running  loss 0.69315  2 workers  0.1 s\n"
        + clear + EXPERIMENT_1 + ": running  loss 0.50000  2 workers  0.5 s\n", printed());
    view.message("worker 1 of experiment 0 died; its successor resumes");
    assertEquals(up2 + clear + "worker 1 of experiment 0 died; its successor resumes\n"
        + clear + EXPERIMENT_0 + ": running  loss 0.69315  2 workers  0.1 s\n"
        + clear + EXPERIMENT_1 + ": running  loss 0.50000  2 workers  0.5 s\n", printed(),
        "a message goes above the lines, which are drawn again below it");
    view.ended(1, "diverged", 0.5, 1_000, 0.6);
    view.close();
    assertEquals(up2 + clear + EXPERIMENT_0 + ": running  loss 0.69315  2 workers  0.1 s\n"
            + clear + EXPERIMENT_1 + ": diverged  kept loss 0.50000  1,000 updates  2 workers  0.6 s\n"
            + up2 + clear + EXPERIMENT_0 + ": running  loss 0.69315  2 workers  0.1 s\n"
            + clear + EXPERIMENT_1 + ": diverged  kept loss 0.50000  1,000 updates  2 workers  0.6 s\n",
        printed());
  }
}
