package dev.stratus.runner.lambda.local;

import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;

/**
 * A driver JVM for {@link ShutdownHookTest}: starts a service, warms one environment, sets it sleeping in a long
 * invocation (so it cannot notice its driver's end by itself), prints its pid and waits to be stopped without ever
 * calling close.
 */
public final class ServiceHost {
  private ServiceHost() {}

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
