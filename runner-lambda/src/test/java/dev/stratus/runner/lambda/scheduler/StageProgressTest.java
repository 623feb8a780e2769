package dev.stratus.runner.lambda.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A stage's progress fed its tasks' ends at set times: a log's lines and a terminal's bar. */
class StageProgressTest {
  private static final long SECOND = 1_000_000_000L;
  private final AtomicLong now = new AtomicLong();
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

  private StageProgress progress(boolean terminal) {
    return new StageProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), terminal, now::get, 10 * SECOND,
        "load", 4);
  }

  private String printed() {
    String text = bytes.toString(StandardCharsets.UTF_8);
    bytes.reset();
    return text;
  }

  @Test
  void aLogGetsALineAtMostEveryIntervalWithTheRateAndTheTimeLeft() {
    StageProgress progress = progress(false);
    now.set(4 * SECOND);
    progress.taskDone(1_000);
    assertEquals("", printed(), "within 10 s of the start: nothing");
    now.set(10 * SECOND);
    progress.taskDone(1_500);
    assertEquals("load [###############---------------] 2/4 tasks, 2,500 elements, 250 elements/s, 10 s left\n",
        printed());
    now.set(30 * SECOND);
    progress.taskDone(500);
    progress.taskDone(500);
    progress.close();
    assertEquals("load [######################--------] 3/4 tasks, 3,000 elements, 100 elements/s, 10 s left\n",
        printed(), "20 s on, a line; the last task's end prints none");
  }

  @Test
  void aTerminalGetsOneBarRedrawnInPlace() {
    StageProgress progress = progress(true);
    now.set(2 * SECOND);
    progress.taskDone(100);
    now.set(4 * SECOND);
    progress.taskDone(100);
    progress.taskDone(100);
    progress.taskDone(100);
    progress.close();
    assertEquals("\r\u001b[2Kload [#######-----------------------] 1/4 tasks, 100 elements, 50 elements/s, 6 s left"
        + "\r\u001b[2Kload [###############---------------] 2/4 tasks, 200 elements, 50 elements/s, 4 s left"
        + "\r\u001b[2Kload [######################--------] 3/4 tasks, 300 elements, 75 elements/s, 1 s left"
        + "\r\u001b[2Kload [##############################] 4/4 tasks, 400 elements, 100 elements/s\n", printed());
  }
}
