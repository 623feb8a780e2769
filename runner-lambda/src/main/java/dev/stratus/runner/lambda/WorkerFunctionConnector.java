package dev.stratus.runner.lambda;

import dev.stratus.jvm.ClassPath;
import dev.stratus.lambda.local.FunctionSpec;
import dev.stratus.lambda.local.LocalLambdaService;
import dev.stratus.runner.lambda.LambdaRunnerOptions.LocalEnvironmentMode;
import dev.stratus.runner.lambda.message.WorkerFunction;
import dev.stratus.runner.lambda.scheduler.LambdaTaskInvoker;
import dev.stratus.runner.lambda.scheduler.TaskInvoker;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.LambdaClientBuilder;

/**
 * Connects the driver to the worker function it invokes, through a LambdaClient to AWS Lambda or another endpoint the
 * options name, or else to the embedded local Lambda service with the worker registered from this JVM's classpath.
 * The local service is started once per driver JVM and stops with it (its environments are kept warm between runs,
 * as Lambda's are).
 */
final class WorkerFunctionConnector {
  private static final Map<LocalService, LocalLambdaService> LOCAL_SERVICES = new ConcurrentHashMap<>();
  private static final Map<Registration, FunctionSpec> REGISTERED = new ConcurrentHashMap<>();

  /** What tells one local service from another: how its environments run. */
  private record LocalService(LocalEnvironmentMode mode, boolean classData) {}

  /** A function of one local service: the worker function or one of its variants. */
  private record Registration(LocalService service, String function) {}

  private WorkerFunctionConnector() {}

  static TaskInvoker connect(LambdaRunnerOptions options) {
    String endpoint = endpoint(options);
    Duration callTimeout = LambdaTaskInvoker.callTimeout(options.getTaskTimeoutSeconds());
    if (endpoint.isEmpty()) {
      LambdaClientBuilder local = local(options).clientBuilder();
      return new LambdaTaskInvoker(LambdaTaskInvoker.configure(local, callTimeout).build(), options.getFunctionName());
    }
    LambdaClientBuilder builder =
        LambdaTaskInvoker.configure(LambdaClient.builder().region(Region.of(options.getLambdaRegion())), callTimeout);
    if (options.getLambdaCredentials() != null) {
      builder.credentialsProvider(options.getLambdaCredentials());
    }
    if (!endpoint.equals(LambdaRunnerOptions.AWS)) {
      builder.endpointOverride(URI.create(endpoint));
      if (options.getLambdaCredentials() == null) {
        // A Lambda-compatible service of one's own may not check signatures; sign with placeholders when no AWS
        // credentials are configured.
        builder.credentialsProvider(
            AwsCredentialsProviderChain.of(
                DefaultCredentialsProvider.builder().build(),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"))));
      }
    }
    return new LambdaTaskInvoker(builder.build(), options.getFunctionName());
  }

  /** Where {@link #connect} finds the worker function, for messages. */
  static String location(LambdaRunnerOptions options) {
    String endpoint = endpoint(options);
    if (endpoint.isEmpty()) {
      return "on the embedded local Lambda service";
    }
    if (onAws(options)) {
      return "on AWS Lambda (--lambdaEndpoint=" + LambdaRunnerOptions.AWS + ")";
    }
    return "on the Lambda service at " + endpoint + " (--lambdaEndpoint)";
  }

  /** Whether {@link #connect} reaches AWS Lambda itself. */
  static boolean onAws(LambdaRunnerOptions options) {
    return endpoint(options).equals(LambdaRunnerOptions.AWS);
  }

  private static String endpoint(LambdaRunnerOptions options) {
    return options.getLambdaEndpoint() == null ? "" : options.getLambdaEndpoint().trim();
  }

  private static synchronized LocalLambdaService local(LambdaRunnerOptions options) {
    LocalService kind = new LocalService(options.getLocalEnvironmentMode(), options.getLocalClassData());
    LocalLambdaService service =
        LOCAL_SERVICES.computeIfAbsent(
            kind,
            k -> {
              LocalLambdaService.Config config =
                  LocalLambdaService.Config.defaults()
                      .withEnvironmentMode(LocalLambdaService.EnvironmentMode.valueOf(k.mode().name()))
                      .withRegion(options.getLambdaRegion());
              return LocalLambdaService.start(k.classData() ? config : config.withClassData(null));
            });
    FunctionSpec worker =
        FunctionSpec.of(options.getFunctionName(), WorkerFunction.HANDLER, ClassPath.currentEntries())
            .withMemoryMb(options.getWorkerMemoryMb())
            .withTimeoutSeconds(options.getTaskTimeoutSeconds());
    register(service, kind, worker);
    for (int sizeMb : options.getWorkerMemorySizesMb()) {
      if (sizeMb != worker.memoryMb()) {
        register(service, kind, new FunctionSpec(WorkerFunction.nameAt(worker.name(), sizeMb), worker.handler(),
            worker.classpath(), sizeMb, worker.timeoutSeconds(), worker.environment()));
      }
    }
    return service;
  }

  /**
   * Registers {@code spec} unless the service already has it: registering again would retire the function's warm
   * environments.
   */
  private static void register(LocalLambdaService service, LocalService kind, FunctionSpec spec) {
    Registration registration = new Registration(kind, spec.name());
    if (!spec.equals(REGISTERED.get(registration))) {
      service.registerFunction(spec);
      REGISTERED.put(registration, spec);
    }
  }

  /**
   * Stops the local Lambda services this JVM started, and their environments, before the JVM exits (which stops them
   * anyway): for a long-lived driver, or tests, that must leave no environment process running.
   */
  static synchronized void stopLocalServices() {
    LOCAL_SERVICES.values().forEach(LocalLambdaService::close);
    LOCAL_SERVICES.clear();
    REGISTERED.clear();
  }
}
