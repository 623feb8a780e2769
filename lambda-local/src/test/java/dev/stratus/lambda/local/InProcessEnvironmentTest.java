package dev.stratus.lambda.local;

import static dev.stratus.lambda.local.TestFunctions.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogType;

/** The in-process mode: the same Invoke path, the handler called in a thread of this JVM. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class InProcessEnvironmentTest {
  private static LocalLambdaService service;
  private static LambdaClient client;

  @BeforeAll
  static void start() {
    service = LocalLambdaService.start(
        LocalLambdaService.Config.defaults().withEnvironmentMode(LocalLambdaService.EnvironmentMode.IN_PROCESS));
    client = service.clientBuilder().build();
  }

  @AfterAll
  static void stop() {
    client.close();
    service.close();
    assertEquals(0, TestFunctions.descendants(), "in-process environments start no process");
  }

  private static InvokeResponse invoke(String function, String command) {
    return client.invoke(request -> request.functionName(function).logType(LogType.TAIL).payload(command(command)));
  }

  @Test
  void runsTheHandlerInThisJvmAndReusesTheEnvironment() throws IOException {
    service.registerFunction(TestFunctions.spec("local-echo").withMemoryMb(512).withTimeoutSeconds(10));

    InvokeResponse first = invoke("local-echo", "echo in-process");
    InvokeResponse second = invoke("local-echo", "echo again");

    JsonNode answer = Json.MAPPER.readTree(first.payload().asByteArray());
    assertEquals("in-process", answer.get("echo").asText());
    assertEquals(ProcessHandle.current().pid(), answer.get("pid").asLong());
    long remaining = answer.get("remainingMillis").asLong();
    assertTrue(remaining > 5_000 && remaining <= 10_000, "the context sees the deadline: " + remaining);
    assertNull(second.functionError());
    String tail = new String(Base64.getDecoder().decode(second.logResult()), StandardCharsets.UTF_8);
    assertTrue(tail.contains("logger line for echo") && tail.contains("REPORT RequestId:"), tail);
    assertEquals(1, service.stats("local-echo").coldStarts());
    assertEquals(1, service.stats("local-echo").warmStarts());
  }

  @Test
  void functionErrorsAndTimeoutsAnswerAsLambdas() throws IOException {
    service.registerFunction(TestFunctions.spec("local-errors").withTimeoutSeconds(1));

    InvokeResponse failed = invoke("local-errors", "fail broken input");
    InvokeResponse timedOut = invoke("local-errors", "sleep 10000");

    assertEquals("Unhandled", failed.functionError());
    JsonNode error = Json.MAPPER.readTree(failed.payload().asByteArray());
    assertEquals("broken input", error.get("errorMessage").asText());
    assertEquals("java.lang.IllegalStateException", error.get("errorType").asText());
    assertEquals("Unhandled", timedOut.functionError());
    assertTrue(timedOut.payload().asUtf8String().contains("Task timed out after 1.00 seconds"));
    assertNull(invoke("local-errors", "echo fresh").functionError());
    assertEquals(1, service.stats("local-errors").timeouts());
  }
}
