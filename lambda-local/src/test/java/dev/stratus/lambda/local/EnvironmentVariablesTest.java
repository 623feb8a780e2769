package dev.stratus.lambda.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.stratus.jvm.ChildProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An environment process gets what a Lambda environment has and nothing of its driver's environment: a driver JVM
 * started with AWS credentials and a marker in its environment starts an environment, whose environment the kernel
 * shows in /proc.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EnvironmentVariablesTest {
  private static final Map<String, String> DRIVER_SECRETS = Map.of(
      "AWS_ACCESS_KEY_ID", "AKIADRIVERMARKER0001",
      "AWS_SECRET_ACCESS_KEY", "driver-secret-access-key-marker",
      "AWS_SESSION_TOKEN", "driver-session-token-marker",
      "STRATUS_DRIVER_ONLY", "driver-only-marker");
  private static final Set<String> LAMBDA_VARIABLES = Set.of("PATH", "AWS_LAMBDA_RUNTIME_API", "_HANDLER",
      "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
      "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_INITIALIZATION_TYPE",
      "AWS_EXECUTION_ENV", "AWS_REGION", "AWS_DEFAULT_REGION", "LAMBDA_TASK_ROOT", "TZ", "LANG");

  @Test
  void anEnvironmentHasLambdasVariablesOnlyAndNoneOfItsDriversSecrets() throws Exception {
    // Closing the driver sends it SIGTERM: its shutdown hook takes the environment with it.
    try (ChildProcess driver = ServiceHost.launch(DRIVER_SECRETS)) {
      String environmentPid = driver.ready();
      String environ = new String(Files.readAllBytes(Path.of("/proc", environmentPid, "environ")),
          StandardCharsets.UTF_8);

      Set<String> names = Arrays.stream(environ.split("\0")).filter(variable -> !variable.isEmpty())
          .map(variable -> variable.substring(0, variable.indexOf('='))).collect(Collectors.toCollection(TreeSet::new));
      assertEquals(new TreeSet<>(LAMBDA_VARIABLES), names);
      for (String secret : DRIVER_SECRETS.values()) {
        assertFalse(environ.contains(secret), "the environment has its driver's " + secret);
      }
      assertEquals("hosted",
          AuthenticationTest.environmentOf(Long.parseLong(environmentPid), "AWS_LAMBDA_FUNCTION_NAME"));
    }
  }
}
