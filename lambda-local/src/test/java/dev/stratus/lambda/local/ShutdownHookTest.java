package dev.stratus.lambda.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.jvm.ChildProcess;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A driver JVM that exits without closing the service still takes its environment processes with it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShutdownHookTest {
  /** A JVM's exit code when SIGTERM ended it (after its shutdown hooks): 128 + 15. */
  private static final int SIGTERM_EXIT = 143;

  @Test
  void environmentsDieWithTheDriverJvm() throws Exception {
    try (ChildProcess driver = ServiceHost.launch(Map.of())) {
      long environmentPid = Long.parseLong(driver.ready());
      assertTrue(ProcessHandle.of(environmentPid).map(ProcessHandle::isAlive).orElse(false));

      driver.close();
      assertEquals(SIGTERM_EXIT, driver.exitCode(), "the driver did not stop on SIGTERM");

      assertFalse(ProcessHandle.of(environmentPid).map(ProcessHandle::isAlive).orElse(false),
          "the environment outlived its driver");
    }
  }
}
