package dev.stratus.lambda.local;

import dev.stratus.jvm.ChildJvm;
import dev.stratus.jvm.ChildProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;

/**
 * A driver JVM for {@link ShutdownHookTest}: starts a service, warms one environment, sets it sleeping in a long
 * invocation (so it cannot notice its driver's end by itself), prints its pid and waits to be stopped without ever
 * calling close.
 */
public final class ServiceHost {
  private static final String ENVIRONMENT = "ENVIRONMENT ";

  private ServiceHost() {}

  /**
   * A driver JVM running this class, with {@code variables} added to this JVM's environment, once it reports its
   * environment's pid ({@link ChildProcess#ready}). It stops on SIGTERM within 20 s, so close tells that apart from a
   * kill by its exit code.
   */
  static ChildProcess launch(Map<String, String> variables) throws IOException {
    return ChildJvm.mainClass(ServiceHost.class)
        .name("the driver")
        .environment(variables)
        .output(ChildProcess.Output.discard())
        .readyWhen(ENVIRONMENT, Duration.ofSeconds(50))
        .stopGrace(Duration.ofSeconds(20))
        .start();
  }

  public static void main(String[] args) throws Exception {
    LocalLambdaService service = LocalLambdaService.start();
    service.registerFunction(TestFunctions.spec("hosted"));
    try (LambdaClient client = service.clientBuilder().build()) {
      String answer = client.invoke(request -> request.functionName("hosted")
          .payload(TestFunctions.command("echo"))).payload().asUtf8String();
      client.invoke(request -> request.functionName("hosted").invocationType(InvocationType.EVENT)
          .payload(TestFunctions.command("sleep 30000")));
      TestFunctions.awaitHandlersRunning(service, "hosted", 1);
      System.out.println(ENVIRONMENT + Json.MAPPER.readTree(answer).get("pid").asLong());
    }
    Thread.sleep(60_000);
  }
}
