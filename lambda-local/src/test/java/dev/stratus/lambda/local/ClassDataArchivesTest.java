package dev.stratus.lambda.local;

import static dev.stratus.lambda.local.TestFunctions.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * Process environments that start from the class-data archive an earlier environment of the same code recorded, in
 * an earlier service: what each environment's own memory map and classpath show, through the real runtime client.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClassDataArchivesTest {

  @Test
  void theFirstEnvironmentRecordsAnArchiveAsItStopsAndTheNextServicesEnvironmentsMapIt(@TempDir Path classData)
      throws Exception {
    LocalLambdaService.Config config = LocalLambdaService.Config.defaults().withClassData(classData);
    JsonNode first = callOnce(config, "echo one");
    assertEquals("one", first.get("echo").asText());
    assertEquals("", first.get("mappedArchive").asText(), "no archive to map before an environment of the code ended");
    String testClasses = TestFunctions.locationOf(CommandHandler.class).toString();
    String classPath = first.get("classPath").asText();
    assertFalse(List.of(classPath.split(":")).contains(testClasses),
        "the test classes' directory is not on the classpath itself: " + classPath);
    assertTrue(classPath.contains(classData.resolve("code-").toString()),
        "a jar of its content is, made in the archives' directory: " + classPath);

    List<Path> archives = files(classData, "*.jsa");
    assertEquals(1, archives.size(), "the first environment recorded one archive as the service stopped it");
    JsonNode second = callOnce(config, "echo two");
    assertEquals("two", second.get("echo").asText());
    assertEquals(archives.get(0).toString(), second.get("mappedArchive").asText(),
        "an environment of the next service mapped it");
    assertEquals(List.of(), files(classData, "*.partial"), "no recording left half-written");
    assertEquals(0, TestFunctions.descendants(), "environment processes left behind");
  }

  @Test
  void aRecordingWhoseEnvironmentDiesIsDroppedAndTheNextEnvironmentRecords(@TempDir Path classData)
      throws Exception {
    LocalLambdaService.Config config = LocalLambdaService.Config.defaults().withClassData(classData);
    try (LocalLambdaService service = LocalLambdaService.start(config);
        LambdaClient client = service.clientBuilder().build()) {
      service.registerFunction(TestFunctions.spec("crashing"));
      InvokeResponse crashed = invoke(client, "crashing", "crash 3");
      assertEquals("Unhandled", crashed.functionError(), "the environment died with its invocation");
      assertEquals(List.of(), files(classData, "*.jsa"), "a JVM that died writes no archive");
      assertEquals(List.of(), files(classData, "*.partial"), "nor leaves a part of one");
      assertEquals("again", json(invoke(client, "crashing", "echo again")).get("echo").asText());
    }
    assertEquals(1, files(classData, "*.jsa").size(), "the environment after it recorded the archive");
  }

  /**
   * One call on a service of its own, the function's classpath naming an entry that does not exist besides the test
   * functions' own, as real classpaths do.
   */
  private static JsonNode callOnce(LocalLambdaService.Config config, String command) throws IOException {
    List<Path> classpath = new ArrayList<>(TestFunctions.classpath());
    classpath.add(Path.of("no-such-directory", "classes"));
    try (LocalLambdaService service = LocalLambdaService.start(config);
        LambdaClient client = service.clientBuilder().build()) {
      service.registerFunction(FunctionSpec.of("echo", TestFunctions.HANDLER, classpath));
      return json(invoke(client, "echo", command));
    }
  }

  private static InvokeResponse invoke(LambdaClient client, String function, String command) {
    return client.invoke(request -> request.functionName(function).payload(command(command)));
  }

  private static JsonNode json(InvokeResponse response) throws IOException {
    return Json.MAPPER.readTree(response.payload().asByteArray());
  }

  private static List<Path> files(Path directory, String glob) throws IOException {
    List<Path> found = new ArrayList<>();
    try (var stream = Files.newDirectoryStream(directory, glob)) {
      stream.forEach(found::add);
    }
    return found;
  }
}
