package dev.stratus.lambda.local;

import static dev.stratus.lambda.local.TestFunctions.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogType;
import software.amazon.awssdk.services.lambda.model.RequestTooLargeException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;

/** The service with real runtime-interface-client processes, driven through the AWS SDK's LambdaClient. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcessEnvironmentTest {
  private static LocalLambdaService service;
  private static LambdaClient client;

  @BeforeAll
  static void start() {
    service = LocalLambdaService.start();
    client = service.clientBuilder().build();
  }

  @AfterAll
  static void stop() {
    client.close();
    service.close();
    assertEquals(0, TestFunctions.descendants(), "environment processes left behind");
  }

  private static JsonNode json(InvokeResponse response) throws IOException {
    return Json.MAPPER.readTree(response.payload().asByteArray());
  }

  private static InvokeResponse invoke(String function, String command) {
    return client.invoke(request -> request.functionName(function).payload(command(command)));
  }

  @Test
  void invokesThroughAProcessAndReusesItWarm() throws IOException {
    service.registerFunction(TestFunctions.spec("echo").withMemoryMb(256));

    long start = System.nanoTime();
    InvokeResponse cold = invoke("echo", "echo hello");
    Duration coldTime = Duration.ofNanos(System.nanoTime() - start);
    start = System.nanoTime();
    InvokeResponse warm = invoke("echo", "echo again");
    Duration warmTime = Duration.ofNanos(System.nanoTime() - start);

    assertEquals(200, cold.statusCode());
    assertNull(cold.functionError());
    assertEquals("hello", json(cold).get("echo").asText());
    assertEquals("256", json(cold).get("memory").asText());
    assertEquals("$LATEST", cold.executedVersion());
    long remaining = json(cold).get("remainingMillis").asLong();
    assertTrue(remaining > 0 && remaining <= 3_000, "the runtime got the deadline: " + remaining);
    long pid = json(cold).get("pid").asLong();
    assertNotEquals(ProcessHandle.current().pid(), pid, "the handler ran in its own process");
    // Reuse is judged by the event (the same process answered, counted as a warm start), not by wall times.
    assertEquals(pid, json(warm).get("pid").asLong(), "the second call reused the warm environment");
    FunctionStats stats = service.stats("echo");
    assertEquals(1, stats.coldStarts());
    assertEquals(1, stats.warmStarts());
    assertEquals(1, stats.liveEnvironments());
    System.out.printf("cold call %d ms (init %d ms), warm call %d ms%n", coldTime.toMillis(),
        stats.meanInitTime().toMillis(), warmTime.toMillis());
  }

  @Test
  void busyInvocationsShowEachRunningCallsProcessPayloadAndLog(@TempDir Path dir) throws Exception {
    service.registerFunction(TestFunctions.spec("watched").withTimeoutSeconds(30));
    Path release = dir.resolve("release");
    CompletableFuture<InvokeResponse> call =
        CompletableFuture.supplyAsync(() -> invoke("watched", "await " + release));

    BusyInvocation busy = TestFunctions.awaitHandlersRunning(service, "watched", 1).get(0);

    assertEquals("\"await " + release + "\"", new String(busy.payload(), StandardCharsets.UTF_8));
    assertTrue(busy.log().contains("START RequestId: " + busy.requestId()), busy.log());
    assertTrue(busy.log().contains("handling await in request " + busy.requestId()), busy.log());
    assertTrue(ProcessHandle.of(busy.pid()).map(ProcessHandle::isAlive).orElse(false), "its environment's process");
    Files.createFile(release);
    assertEquals(busy.pid(), json(call.get(30, TimeUnit.SECONDS)).get("pid").asLong(), "the process that ran it");
    assertEquals(List.of(), service.busyInvocations("watched"), "none once the call has returned");
  }

  @Test
  void javaToolOptionsOfTheFunctionOverrideTheRuntimesJitDefault() throws IOException {
    service.registerFunction(TestFunctions.spec("c1"));
    service.registerFunction(
        TestFunctions.spec("c2").withEnvironment(Map.of("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=4")));

    assertEquals("1", json(invoke("c1", "echo")).get("tieredStopAtLevel").asText(), "Lambda's Java 17 default");
    assertEquals("4", json(invoke("c2", "echo")).get("tieredStopAtLevel").asText());
  }

  @Test
  void functionErrorReachesTheSdkWithMessageAndType() throws IOException {
    service.registerFunction(TestFunctions.spec("failing"));

    InvokeResponse response = invoke("failing", "fail the data was bad");

    assertEquals(200, response.statusCode());
    assertEquals("Unhandled", response.functionError());
    JsonNode error = json(response);
    assertEquals("the data was bad", error.get("errorMessage").asText());
    assertEquals("java.lang.IllegalStateException", error.get("errorType").asText());
    assertTrue(error.get("stackTrace").toString().contains("CommandHandler"), error.toString());
    assertNull(invoke("failing", "echo still warm").functionError(), "a function error keeps the environment");
    assertEquals(1, service.stats("failing").coldStarts());
  }

  @Test
  void aHandlerThatCannotStartAnswersItsInitError() throws IOException {
    service.registerFunction(FunctionSpec.of("broken", BrokenHandler.class.getName(), TestFunctions.classpath()));

    InvokeResponse response = invoke("broken", "echo");

    assertEquals("Unhandled", response.functionError());
    assertTrue(response.payload().asUtf8String().contains("configuration missing"),
        response.payload().asUtf8String());
    assertEquals(0, service.stats("broken").liveEnvironments(), "the failed environment is gone");
  }

  @Test
  void timeoutKillsTheEnvironmentWithLambdasError() throws IOException {
    service.registerFunction(TestFunctions.spec("slow").withTimeoutSeconds(1));
    long pid = json(invoke("slow", "echo first")).get("pid").asLong();

    long start = System.nanoTime();
    InvokeResponse response = invoke("slow", "sleep 20000");
    long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

    assertEquals("Unhandled", response.functionError());
    JsonNode error = json(response);
    assertEquals("Sandbox.Timedout", error.get("errorType").asText());
    assertTrue(error.get("errorMessage").asText().endsWith("Task timed out after 1.00 seconds"), error.toString());
    assertTrue(elapsedMillis < 5000, "answered after " + elapsedMillis + " ms");
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the environment was killed");
    assertEquals(1, service.stats("slow").timeouts());
    assertNotEquals(pid, json(invoke("slow", "echo after")).get("pid").asLong(), "a new environment took over");
  }

  @Test
  void crashMidInvocationAnswersTheExit() throws IOException {
    service.registerFunction(TestFunctions.spec("crashing"));

    InvokeResponse response = invoke("crashing", "crash 3");

    assertEquals("Unhandled", response.functionError());
    JsonNode error = json(response);
    assertEquals("Runtime.ExitError", error.get("errorType").asText());
    assertTrue(error.get("errorMessage").asText().endsWith("Runtime exited with error: exit status 3"),
        error.toString());
    assertNull(invoke("crashing", "echo recovered").functionError());
    assertEquals(2, service.stats("crashing").coldStarts());
  }

  @Test
  void allocatingBeyondTheMemoryFails() throws IOException {
    service.registerFunction(TestFunctions.spec("hog").withMemoryMb(128).withTimeoutSeconds(30));

    InvokeResponse response = invoke("hog", "hog 200");

    assertEquals("Unhandled", response.functionError());
    assertEquals("java.lang.OutOfMemoryError", json(response).get("errorType").asText());
    InvokeResponse next = invoke("hog", "hog 20");
    assertNull(next.functionError(), "a fresh environment serves the next call: " + next.payload().asUtf8String());
  }

  @Test
  void logTailHoldsTheInvocationsOutput() {
    service.registerFunction(TestFunctions.spec("logging"));

    String cold = tail(client.invoke(request -> request.functionName("logging").logType(LogType.TAIL)
        .payload(command("echo one"))));
    String warm = tail(client.invoke(request -> request.functionName("logging").logType(LogType.TAIL)
        .payload(command("echo two"))));

    assertTrue(cold.contains("START RequestId:"), cold);
    assertTrue(cold.contains("handling echo"), cold);
    assertTrue(cold.contains("logger line for echo"), cold);
    assertTrue(cold.contains("END RequestId:"), cold);
    assertTrue(cold.contains("Init Duration:"), "a cold start reports its init: " + cold);
    assertFalse(warm.contains("Init Duration:"), warm);
    assertEquals(1, count(warm, "handling echo"), "the tail holds this invocation only: " + warm);
    assertTrue(warm.length() <= LambdaLimits.LOG_TAIL_BYTES);
  }

  private static String tail(InvokeResponse response) {
    return new String(Base64.getDecoder().decode(response.logResult()), StandardCharsets.UTF_8);
  }

  private static int count(String text, String part) {
    return text.split(java.util.regex.Pattern.quote(part), -1).length - 1;
  }

  @Test
  void unknownFunctionIs404() {
    ResourceNotFoundException e = assertThrows(ResourceNotFoundException.class,
        () -> invoke("no-such-function", "echo"));
    assertEquals(404, e.statusCode());
    assertTrue(e.getMessage().contains("Function not found"), e.getMessage());
  }

  @Test
  void payloadAboveSixMegabytesIs413() {
    service.registerFunction(TestFunctions.spec("big-payload"));
    byte[] payload = new byte[LambdaLimits.MAX_SYNC_PAYLOAD_BYTES + 1];

    RequestTooLargeException e = assertThrows(RequestTooLargeException.class, () -> client.invoke(
        request -> request.functionName("big-payload").payload(SdkBytes.fromByteArray(payload))));
    assertEquals(413, e.statusCode());
    assertEquals(0, service.stats("big-payload").invocations());
  }

  @Test
  void arnNamesQualifiersDryRunAndEvents() throws InterruptedException {
    service.registerFunction(TestFunctions.spec("by-arn"));
    String arn = service.arn("by-arn");

    assertEquals(204, client.invoke(request -> request.functionName(arn).qualifier("$LATEST")
        .invocationType(InvocationType.DRY_RUN).payload(command("echo"))).statusCode());
    assertEquals(202, client.invoke(request -> request.functionName(arn + ":$LATEST")
        .invocationType(InvocationType.EVENT).payload(command("echo event"))).statusCode());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (service.stats("by-arn").invocations() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(1, service.stats("by-arn").invocations(), "the event ran in the background");
    assertThrows(ResourceNotFoundException.class, () -> client.invoke(request -> request.functionName("by-arn")
        .qualifier("7").payload(command("echo"))));
  }
}
