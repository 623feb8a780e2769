package dev.stratus.lambda.local;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A function registered straight from a classpath, without a zip: what the runner uses locally.
 *
 * <pre>{@code
 * service.registerFunction(FunctionSpec.of("worker", "dev.stratus.Worker::handleRequest", classpath)
 *     .withMemoryMb(1024).withTimeoutSeconds(120));
 * }</pre>
 *
 * @param handler {@code pkg.Class} or {@code pkg.Class::method}, as Lambda's Java runtime takes it
 * @param classpath jars and class directories holding the handler and its dependencies
 * @param memoryMb Lambda's memory setting (128 to 10,240); the environment's heap is derived from it
 * @param timeoutSeconds Lambda's timeout (1 to 900)
 * @param environment variables the function sees besides Lambda's reserved ones
 */
public record FunctionSpec(String name, String handler, List<Path> classpath, int memoryMb, int timeoutSeconds,
    Map<String, String> environment) {

  public static final int DEFAULT_MEMORY_MB = 128;
  public static final int DEFAULT_TIMEOUT_SECONDS = 3;

  public FunctionSpec {
    classpath = List.copyOf(classpath);
    environment = Map.copyOf(environment);
    LambdaLimits.checkName(name);
    LambdaLimits.checkHandler(handler);
    LambdaLimits.checkMemory(memoryMb);
    LambdaLimits.checkTimeout(timeoutSeconds);
    if (classpath.isEmpty()) {
      throw new IllegalArgumentException("function " + name + " has an empty classpath");
    }
  }

  /** Lambda's defaults: 128 MB, 3 seconds, no variables. */
  public static FunctionSpec of(String name, String handler, List<Path> classpath) {
    return new FunctionSpec(name, handler, classpath, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS, Map.of());
  }

  public FunctionSpec withMemoryMb(int memoryMb) {
    return new FunctionSpec(name, handler, classpath, memoryMb, timeoutSeconds, environment);
  }

  public FunctionSpec withTimeoutSeconds(int timeoutSeconds) {
    return new FunctionSpec(name, handler, classpath, memoryMb, timeoutSeconds, environment);
  }

  public FunctionSpec withEnvironment(Map<String, String> environment) {
    return new FunctionSpec(name, handler, classpath, memoryMb, timeoutSeconds, environment);
  }
}
