package dev.stratus.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.junit.jupiter.api.Test;

/** A future's result as the task gave it, and its task's exception as the task threw it. */
class FuturesTest {
  @Test
  void theTasksValueOrTheExceptionItThrew() throws Exception {
    FutureTask<String> value = new FutureTask<>(() -> "rows");
    new DaemonThreadFactory("futures-test").newThread(value).start();
    assertEquals("rows", Futures.result(value));

    IOException thrown = new IOException("partition 3 is missing");
    FutureTask<String> failed = new FutureTask<>(() -> {
      throw thrown;
    });
    failed.run();
    assertSame(thrown, assertThrows(IOException.class, () -> Futures.result(failed)));

    FutureTask<String> error = new FutureTask<>(() -> {
      throw new AssertionError("not an exception");
    });
    error.run();
    assertThrows(ExecutionException.class, () -> Futures.result(error));
  }
}
