package dev.stratus.topology;

import dev.stratus.jvm.ChildJvm;
import dev.stratus.jvm.ChildProcess;
import dev.stratus.jvm.ClassPath;
import dev.stratus.lambda.local.FunctionSpec;
import dev.stratus.lambda.local.LocalLambdaService;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/**
 * The Lambda role as a process: the local Lambda service on {@code --bind ADDRESS}, its environments processes of
 * their own (so they share this process's network and reach the other roles the way it does), taking only requests
 * signed with the keys in {@value #ACCESS_KEY_ENV} and {@value #SECRET_KEY_ENV}, with a function registered for
 * each {@code --function NAME=HANDLER} running from this process's class path, each with {@code --memory-mb N} and
 * {@code --timeout-seconds N}, and the same keys in its AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY, as Lambda gives a function its execution role's. Prints {@value #READY_LINE} and the
 * service's endpoint.
 */
public final class LambdaNode {
  public static final String READY_LINE = "STRATUS_LAMBDA_NODE_READY ";
  static final String ACCESS_KEY_ENV = "STRATUS_LAMBDA_ACCESS_KEY";
  static final String SECRET_KEY_ENV = "STRATUS_LAMBDA_SECRET_KEY";
  private static final String BIND = "--bind";
  private static final String FUNCTION = "--function";
  private static final String MEMORY_MB = "--memory-mb";
  private static final String TIMEOUT_SECONDS = "--timeout-seconds";

  private LambdaNode() {}

  /** A Lambda node's command line and environment, to start where it should run: a function per handler. */
  static ChildProcess.Builder process(InetAddress bind, Map<String, String> handlers, int memoryMb,
      int timeoutSeconds, AwsBasicCredentials credentials) {
    List<String> arguments = new ArrayList<>(List.of(BIND, bind.getHostAddress(), MEMORY_MB, String.valueOf(memoryMb),
        TIMEOUT_SECONDS, String.valueOf(timeoutSeconds)));
    handlers.forEach((name, handler) -> arguments.addAll(List.of(FUNCTION, name + "=" + handler)));
    return ChildJvm.mainClass(LambdaNode.class)
        .jvmOptions("-Xmx256m", "-XX:+UseSerialGC")
        .arguments(arguments)
        .environment(ACCESS_KEY_ENV, credentials.accessKeyId())
        .environment(SECRET_KEY_ENV, credentials.secretAccessKey())
        .name("lambda node");
  }

  public static void main(String[] args) throws InterruptedException {
    NodeMain.run("LambdaNode", args, Set.of(BIND, FUNCTION, MEMORY_MB, TIMEOUT_SECONDS), arguments -> {
      LocalLambdaService.Config config = LocalLambdaService.Config.defaults().withBindAddress(arguments.address(BIND));
      int memoryMb = (int) arguments.number(MEMORY_MB, FunctionSpec.DEFAULT_MEMORY_MB);
      int timeoutSeconds = (int) arguments.number(TIMEOUT_SECONDS, FunctionSpec.DEFAULT_TIMEOUT_SECONDS);
      // The account's keys, where Lambda puts its execution role's: workers reach the store with them.
      Map<String, String> role = Map.of("AWS_ACCESS_KEY_ID", NodeMain.secret(ACCESS_KEY_ENV),
          "AWS_SECRET_ACCESS_KEY", NodeMain.secret(SECRET_KEY_ENV));
      List<FunctionSpec> functions = new ArrayList<>();
      for (String function : arguments.all(FUNCTION)) {
        int equals = function.indexOf('=');
        if (equals <= 0 || equals == function.length() - 1) {
          throw new IllegalArgumentException("option " + FUNCTION + " needs NAME=HANDLER, got '" + function + "'");
        }
        functions.add(FunctionSpec.of(function.substring(0, equals), function.substring(equals + 1),
                ClassPath.currentEntries())
            .withMemoryMb(memoryMb).withTimeoutSeconds(timeoutSeconds).withEnvironment(role));
      }
      if (functions.isEmpty()) {
        throw new IllegalArgumentException("option " + FUNCTION + " is required");
      }
      LocalLambdaService service = LocalLambdaService.start(config,
          AwsBasicCredentials.create(NodeMain.secret(ACCESS_KEY_ENV), NodeMain.secret(SECRET_KEY_ENV)));
      try {
        functions.forEach(service::registerFunction);
      } catch (RuntimeException e) {
        service.close();
        throw e;
      }
      return new NodeMain.Started(READY_LINE + service.endpoint(), List.of(service));
    });
  }
}
