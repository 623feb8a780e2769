package dev.stratus.lambda.local;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A driver JVM that exits without closing the service still takes its environment processes with it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShutdownHookTest {

  @Test
  void environmentsDieWithTheDriverJvm() throws Exception {
    Process driver = ServiceHost.launch(Map.of());
    try {
      Long environmentPid = ServiceHost.environmentPid(driver);
      assertNotNull(environmentPid, "the driver never reported its environment");
      assertTrue(ProcessHandle.of(environmentPid).map(ProcessHandle::isAlive).orElse(false));

      driver.destroy();
      assertTrue(driver.waitFor(20, TimeUnit.SECONDS), "the driver did not stop on SIGTERM");

      assertFalse(ProcessHandle.of(environmentPid).map(ProcessHandle::isAlive).orElse(false),
          "the environment outlived its driver");
    } finally {
      driver.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
