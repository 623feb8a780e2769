package dev.stratus.runner.lambda.deploy;

import static dev.stratus.lambda.local.TestFunctions.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stratus.lambda.local.LocalLambdaService;
import dev.stratus.lambda.local.TestFunctions;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.FunctionConfiguration;
import software.amazon.awssdk.services.lambda.model.GetFunctionConfigurationResponse;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.ResourceConflictException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;

/** The deploy command against the local service, and the management API it uses, through the real LambdaClient. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeployWorkerTest {
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

  /**
   * The test functions (a class directory or, in a full build, lambda-local's test jar) and this module's own test
   * classes, a class directory wherever the test runs.
   */
  private static String testClasspath() {
    List<Path> entries = new ArrayList<>(TestFunctions.classpath());
    entries.add(TestFunctions.locationOf(DeployWorkerTest.class));
    return String.join(File.pathSeparator, entries.stream().map(Path::toString).toList());
  }

  private static JsonNode invoke(String function, String command) throws IOException {
    InvokeResponse response = client.invoke(request -> request.functionName(function).payload(command(command)));
    assertNull(response.functionError(), response.payload().asUtf8String());
    return new ObjectMapper().readTree(response.payload().asByteArray());
  }

  @Test
  void createsThenUpdatesAFunctionThatRunsFromItsZip(@TempDir Path directory) throws IOException {
    Path zip = directory.resolve("worker.zip");
    List<String> common = List.of("--endpoint", service.endpoint().toString(), "--region", "us-east-1",
        "--function-name", "deployed", "--handler", TestFunctions.HANDLER, "--classpath", testClasspath(),
        "--output", zip.toString());

    FunctionConfiguration created =
        DeployWorker.run(service.credentialsProvider(), with(common, "--memory", "256", "--timeout", "20"));

    assertEquals(service.arn("deployed"), created.functionArn());
    assertEquals(256, created.memorySize());
    try (ZipFile archive = new ZipFile(zip.toFile())) {
      List<String> names = archive.stream().map(ZipEntry::getName).toList();
      assertTrue(names.stream().allMatch(name -> name.startsWith("lib/") && name.endsWith(".jar")), names.toString());
      assertTrue(names.contains("lib/runner-lambda-test-classes.jar"), "the class directory became a jar: " + names);
    }
    JsonNode first = invoke("deployed", "echo from the zip");
    assertEquals("from the zip", first.get("echo").asText());
    assertEquals("256", first.get("memory").asText());

    FunctionConfiguration updated =
        DeployWorker.run(service.credentialsProvider(), with(common, "--memory", "512", "--env", "STAGE=test"));

    assertEquals(512, updated.memorySize());
    assertEquals(900, updated.timeout());
    assertEquals(Map.of("STAGE", "test"), updated.environment().variables());
    JsonNode second = invoke("deployed", "echo updated");
    assertEquals("512", second.get("memory").asText());
    assertNotEquals(first.get("pid").asLong(), second.get("pid").asLong(), "the update replaced the environment");
  }

  @Test
  void deploysAVariantFunctionPerMemorySize() throws IOException {
    List<String> common = List.of("--endpoint", service.endpoint().toString(), "--region", "us-east-1",
        "--function-name", "sized", "--handler", TestFunctions.HANDLER, "--classpath", testClasspath(),
        "--memory", "256");

    DeployWorker.run(service.credentialsProvider(), with(common, "--memory-sizes", "512,256", "--timeout", "20"));

    assertFalse(service.hasFunction("sized-256mb"), "the function itself is at 256 MB");
    GetFunctionConfigurationResponse variant =
        client.getFunctionConfiguration(request -> request.functionName("sized-512mb"));
    assertEquals(512, variant.memorySize());
    assertEquals(20, variant.timeout());
    assertEquals(TestFunctions.HANDLER, variant.handler());
    assertEquals("512", invoke("sized-512mb", "echo variant").get("memory").asText());

    DeployWorker.run(service.credentialsProvider(), with(common, "--memory-sizes", "512", "--timeout", "30"));

    assertEquals(30, client.getFunctionConfiguration(request -> request.functionName("sized-512mb")).timeout(),
        "the variant was updated with the function");
  }

  private static String[] with(List<String> common, String... more) {
    return Stream.concat(common.stream(), Arrays.stream(more)).toArray(String[]::new);
  }

  @Test
  void managementApiAnswersLikeLambda() {
    assertThrows(ResourceNotFoundException.class, () -> client.getFunction(request -> request.functionName("none")));
    assertThrows(ResourceNotFoundException.class,
        () -> client.deleteFunction(request -> request.functionName("none")));
    client.createFunction(request -> request.functionName("managed").handler(TestFunctions.HANDLER)
        .code(code -> code.zipFile(SdkBytes.fromByteArray(emptyLibZip()))));
    assertThrows(ResourceConflictException.class, () -> client.createFunction(request -> request
        .functionName("managed").handler(TestFunctions.HANDLER)
        .code(code -> code.zipFile(SdkBytes.fromByteArray(emptyLibZip())))));
    GetFunctionConfigurationResponse configuration = client.getFunctionConfiguration(request -> request.functionName("managed"));
    assertEquals(128, configuration.memorySize());
    assertEquals(3, configuration.timeout());
    client.deleteFunction(request -> request.functionName("managed"));
    assertFalse(service.hasFunction("managed"));
  }

  private static byte[] emptyLibZip() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      zip.putNextEntry(new ZipEntry("lib/"));
      zip.closeEntry();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  @Test
  void badCommandLinesAreRefusedBeforeAnythingIsSent() {
    assertRefused("unknown option --handle", "--handle", "h");
    assertRefused("unknown option --memroy", "--handler", "h", "--memroy", "512");
    assertRefused("--memory must be 128 to 10240", "--handler", "h", "--memory", "64");
    assertRefused("--env takes KEY=VALUE", "--handler", "h", "--env", "NOVALUE");
    assertRefused("--timeout needs a value", "--handler", "h", "--timeout");
    assertRefused("--memory-sizes must be 128 to 10240, not 64", "--handler", "h", "--memory-sizes", "1024,64");
    assertRefused("the worker function " + "w".repeat(58) + " at 3008 MB would be " + "w".repeat(58) + "-3008mb,"
        + " longer than the 64 characters", "--handler", "h", "--function-name", "w".repeat(58), "--memory-sizes",
        "3008");
  }

  private static void assertRefused(String message, String... args) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeployWorker.run(args));
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
  }
}
