package dev.stratus.runner.lambda.local;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A driver JVM that exits without closing the service still takes its environment processes with it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShutdownHookTest {

  @Test
  void environmentsDieWithTheDriverJvm() throws Exception {
    Process driver = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), ServiceHost.class.getName())
        .redirectErrorStream(true).start();
    try {
      Long environmentPid = null;
      BufferedReader out = new BufferedReader(new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8));
      for (String line; environmentPid == null && (line = out.readLine()) != null; ) {
        if (line.startsWith("ENVIRONMENT ")) {
          environmentPid = Long.parseLong(line.substring("ENVIRONMENT ".length()).trim());
        }
      }
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
