package dev.stratus.lambda.local;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;

/**
 * A driver JVM for {@link ShutdownHookTest}: starts a service, warms one environment, sets it sleeping in a long
 * invocation (so it cannot notice its driver's end by itself), prints its pid and waits to be stopped without ever
 * calling close.
 */
public final class ServiceHost {
  private ServiceHost() {}

  /** A driver JVM running this class, with {@code variables} added to this JVM's environment. */
  static Process launch(Map<String, String> variables) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), ServiceHost.class.getName())
        .redirectErrorStream(true);
    builder.environment().putAll(variables);
    return builder.start();
  }

  /** The pid of the environment that {@code driver} reports once it is set sleeping, or null if it never does. */
  static Long environmentPid(Process driver) throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8));
    for (String line; (line = out.readLine()) != null; ) {
      if (line.startsWith("ENVIRONMENT ")) {
        return Long.parseLong(line.substring("ENVIRONMENT ".length()).trim());
      }
    }
    return null;
  }

  public static void main(String[] args) throws Exception {
    LocalLambdaService service = LocalLambdaService.start();
    service.registerFunction(TestFunctions.spec("hosted"));
    try (LambdaClient client = service.clientBuilder().build()) {
      String answer = client.invoke(request -> request.functionName("hosted")
          .payload(TestFunctions.command("echo"))).payload().asUtf8String();
      client.invoke(request -> request.functionName("hosted").invocationType(InvocationType.EVENT)
          .payload(TestFunctions.command("sleep 30000")));
      while (service.stats("hosted").warmStarts() == 0) {
        Thread.sleep(20);
      }
      Thread.sleep(500);
      System.out.println("ENVIRONMENT " + Json.MAPPER.readTree(answer).get("pid").asLong());
    }
    Thread.sleep(60_000);
  }
}
